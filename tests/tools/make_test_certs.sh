#!/usr/bin/env bash
# Generates a throw-away PKI for the TLS tests, at test time (nothing of it is committed):
#   ca.pem/ca.key            the test CA
#   server.pem/server.key    signed by it, for localhost, 127.0.0.1 and ::1
#   server-enc.key           the same key encrypted with the password "secret"
#   client.pem/client.key    a client certificate (CN=flumen-test-client) signed by the CA
#   other-ca.pem             an unrelated CA (its certificates must be refused)
#   rogue.pem/rogue.key      a client certificate signed by other-ca
#   server.p12               server.pem+key as PKCS#12 (password "secret"), as keytool makes
# Usage: make_test_certs.sh DIR   (skips the work when DIR/ca.pem exists)
set -euo pipefail
dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s rogue.pem ] && exit 0
days=30
ossl() { openssl "$@" 2>/dev/null; }

ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days \
  -subj "/CN=flumen test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days $days \
  -subj "/CN=another CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

sign() {  # name subject ca-prefix extensions
  ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$4" > "$1.ext"
  ossl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -out "$1.pem" \
    -days $days -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}
sign server "/CN=localhost" ca \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
sign client "/CN=flumen-test-client" ca "extendedKeyUsage=clientAuth"
sign rogue "/CN=rogue" other-ca "extendedKeyUsage=clientAuth"
ossl pkey -in server.key -aes256 -passout pass:secret -out server-enc.key
ossl pkcs12 -export -in server.pem -inkey server.key -passout pass:secret -out server.p12
chmod 600 ./*.key
