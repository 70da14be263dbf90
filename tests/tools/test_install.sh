#!/usr/bin/env bash
# Installs the build into a temporary prefix with `cmake --install`, then
# builds examples/hello.c against it through pkg-config, linked both
# shared and static, and runs it: what an embedding user does.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { # name, command...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $name"; cat "$work/out"; fi
}

check "cmake --install" cmake --install "$build" --prefix "$work/prefix"
libdir=$(ls -d "$work"/prefix/lib*/ | head -n 1)
for f in "$work/prefix/include/strata.h" "$libdir/libstrata.a" "$libdir/libstrata.so" \
         "$libdir/pkgconfig/strata.pc" "$work/prefix/bin/strata"; do
  check "installed $f" test -e "$f"
done
export PKG_CONFIG_PATH="$libdir/pkgconfig"
check "pkg-config knows strata" pkg-config --exists strata
cflags=$(pkg-config --cflags strata) libs=$(pkg-config --libs strata)
# shellcheck disable=SC2086
check "build hello (shared)" cc -std=c11 -Wall -Werror "$src/examples/hello.c" $cflags $libs -o "$work/hello"
check "run hello (shared)" sh -c "LD_LIBRARY_PATH='$libdir' '$work/hello' '$work/db1' > '$work/hello.out'"
check "hello prints the title" grep -qx "Blue in Green" "$work/hello.out"
check "hello counts the plays" grep -qx "plays: 2" "$work/hello.out"
# shellcheck disable=SC2086
check "build hello (static)" cc -std=c11 -Wall -Werror "$src/examples/hello.c" $cflags \
  "$libdir/libstrata.a" $(pkg-config --static --libs-only-l strata | sed 's/-lstrata//') -o "$work/hello-static"
check "run hello (static)" "$work/hello-static" "$work/db2"
# The installed bench links libstrata.so and must find it without help.
if [ -e "$work/prefix/bin/strata-bench" ]; then
  check "installed strata-bench starts" env -u LD_LIBRARY_PATH "$work/prefix/bin/strata-bench" --help
fi
if command -v c++ >/dev/null; then
  check "the header compiles as C++" sh -c "echo '#include <strata.h>' | c++ -x c++ -fsyntax-only $cflags -"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
