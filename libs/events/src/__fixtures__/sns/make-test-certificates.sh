#!/bin/sh
# Regenerates the SNS test certificates in this folder (tests and the benchmark only; none of them
# is trusted anywhere else). Needs the openssl CLI (1.1.1 or 3.x); the tests only read the PEMs.
#
#   sh libs/events/src/__fixtures__/sns/make-test-certificates.sh
#
# The chain mirrors AWS's: a root CA ("Event Cache Test Root CA", as Amazon Root CA 1), an
# intermediate ("Event Cache Test RSA 2048 M01", as Amazon RSA 2048 M01) and SNS signing leaves,
# every one valid 2000-01-01 to 2125-01-01. The leaves reuse test-signing.key.pem, so every signed
# message in the fixtures stays valid; the CA keys are thrown away (regenerating makes new CAs).
#
#   test-root-ca.cert.pem          self-signed root (CA)
#   test-intermediate-ca.cert.pem  issued by the root (CA, pathlen 0)
#   test-signing.cert.pem          leaf  CN/SAN sns.amazonaws.com                  (aws partition)
#   test-signing-optin.cert.pem    leaf  CN/SAN sns-signing.ap-east-1.amazonaws.com (opt-in region)
#   test-signing-cn.cert.pem       leaf  CN/SAN sns-cn-north-1.amazonaws.com.cn   (aws-cn)
#   test-signing-gov.cert.pem      leaf  CN/SAN sns-us-gov-west-1.amazonaws.com   (aws-us-gov)
#   test-signing-cn-only.cert.pem  leaf  CN sns.amazonaws.com, no SAN
#   test-wrong-subject.cert.pem    leaf  CN/SAN sns.s3.amazonaws.com (not an SNS signing name)
#   test-ca-as-leaf.cert.pem       CN sns.amazonaws.com but a CA certificate
#   test-weak-key.cert.pem         leaf  CN/SAN sns.amazonaws.com with a 1024-bit key
#   test-self-signed.cert.pem      CN/SAN sns.amazonaws.com, self-signed (issued by no CA)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

start=20000101000000Z
end=21250101000000Z

cat > ca.cnf <<'EOF'
[ca]
default_ca = test
[test]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:${ENV::SAN}
[leaf_no_san]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_leaf]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:sns.amazonaws.com
EOF
: > index.txt
echo 1000 > serial
export SAN=unused

# sign <csr> <issuer cert, or -selfsign> <issuer key> <extension section> <out>
sign() {
  if [ "$2" = -selfsign ]; then issuer=-selfsign; else issuer="-cert $2"; fi
  # shellcheck disable=SC2086 # $issuer is one or two words on purpose
  openssl ca -batch -notext -config ca.cnf -in "$1" $issuer -keyfile "$3" -extensions "$4" \
    -startdate "$start" -enddate "$end" -out "$5" 2> ca.log || { cat ca.log; exit 1; }
}
csr() { openssl req -new -key "$1" -subj "$2" -out "$3"; }

openssl genrsa -out root.key 2048 2> /dev/null
csr root.key '/O=event-cache test fixture/CN=Event Cache Test Root CA' root.csr
sign root.csr -selfsign root.key root root.pem

openssl genrsa -out intermediate.key 2048 2> /dev/null
csr intermediate.key '/O=event-cache test fixture/CN=Event Cache Test RSA 2048 M01' intermediate.csr
sign intermediate.csr root.pem root.key intermediate intermediate.pem

leaf_key="$here/test-signing.key.pem"
leaf() { # <CN> <SAN or -> <extension section> <out> [key]
  key=${5:-$leaf_key}
  csr "$key" "/CN=$1" leaf.csr
  SAN=$2 sign leaf.csr intermediate.pem intermediate.key "$3" "$here/$4"
}

leaf sns.amazonaws.com sns.amazonaws.com leaf test-signing.cert.pem
leaf sns-signing.ap-east-1.amazonaws.com sns-signing.ap-east-1.amazonaws.com leaf test-signing-optin.cert.pem
leaf sns-cn-north-1.amazonaws.com.cn sns-cn-north-1.amazonaws.com.cn leaf test-signing-cn.cert.pem
leaf sns-us-gov-west-1.amazonaws.com sns-us-gov-west-1.amazonaws.com leaf test-signing-gov.cert.pem
leaf sns.amazonaws.com - leaf_no_san test-signing-cn-only.cert.pem
leaf sns.s3.amazonaws.com sns.s3.amazonaws.com leaf test-wrong-subject.cert.pem
leaf sns.amazonaws.com - ca_leaf test-ca-as-leaf.cert.pem
openssl genrsa -out weak.key 1024 2> /dev/null
leaf sns.amazonaws.com sns.amazonaws.com leaf test-weak-key.cert.pem weak.key

# Self-signed with the leaf key: the right name, but no CA vouches for it.
csr "$leaf_key" '/CN=sns.amazonaws.com' self.csr
SAN=sns.amazonaws.com sign self.csr -selfsign "$leaf_key" leaf "$here/test-self-signed.cert.pem"

cp root.pem "$here/test-root-ca.cert.pem"
cp intermediate.pem "$here/test-intermediate-ca.cert.pem"
echo "wrote the SNS test certificates to $here"
