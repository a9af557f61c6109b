#!/usr/bin/env bash
# Build prerequisites beyond Rust, installed once per machine (Debian/Ubuntu, as root).
#   cmake, a C/C++ compiler   — librdkafka is compiled from source (rdkafka `cmake-build`)
#   zlib1g-dev                — librdkafka's compression
#   libcurl4-openssl-dev      — only the header: librdkafka 2.12's CMake config defines
#                               WITH_OAUTHBEARER_OIDC as 0 and rdkafka_conf.c tests it with
#                               #ifdef, so it includes <curl/curl.h> although curl is disabled
#                               (WITH_CURL=0) and never linked.
# protoc is not needed: the proto crate uses the `protoc-bin-vendored` crate.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v c++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
[[ -f /usr/include/x86_64-linux-gnu/curl/curl.h || -f /usr/include/curl/curl.h ]] || missing+=(libcurl4-openssl-dev)

if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
command -v cargo >/dev/null || die "Rust is required: install it with rustup (https://rustup.rs)"
