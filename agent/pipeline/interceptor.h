#pragma once
// Interceptor: a step on a batch between the source and the selector. It may modify events or
// drop them (EventBatch::retain), never add them. Called on the source's thread.

#include <string>

#include "agent/event/event_batch.h"

namespace flumen::pipeline {

class Interceptor {
 public:
  virtual ~Interceptor() = default;
  virtual void intercept(EventBatch& batch) = 0;
};

}  // namespace flumen::pipeline
