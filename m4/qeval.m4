dnl qeval's own configure macros.

dnl QEVAL_PKG(VAR, MODULE, DEBIAN-PACKAGE)
dnl pkg-config check whose failure tells the user what to install.
AC_DEFUN([QEVAL_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
	    [AC_MSG_ERROR([$2 not found by pkg-config.
  On Debian/Ubuntu: apt-get install $3   (or run scripts/install-deps)])])
])

dnl AX_PTHREAD_SIMPLE: glibc has pthreads in libc; -pthread is enough.
AC_DEFUN([AX_PTHREAD_SIMPLE], [
	PTHREAD_CFLAGS=-pthread
	PTHREAD_LIBS=-pthread
	AC_SUBST([PTHREAD_CFLAGS])
	AC_SUBST([PTHREAD_LIBS])
])

dnl QEVAL_CC_FLAG(FLAG): append FLAG to WARN_CFLAGS if the compiler takes it.
AC_DEFUN([QEVAL_CC_FLAG], [
	qeval_save_CFLAGS=$CFLAGS
	CFLAGS="$CFLAGS -Werror $1"
	AC_MSG_CHECKING([whether $CC accepts $1])
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
	    [AC_MSG_RESULT([yes]); WARN_CFLAGS="$WARN_CFLAGS $1"],
	    [AC_MSG_RESULT([no])])
	CFLAGS=$qeval_save_CFLAGS
])

AC_DEFUN([QEVAL_COMPILER_WARNINGS], [
	WARN_CFLAGS=
	for f in -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow \
	    -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
	    -Wundef -Wwrite-strings -Wno-unused-parameter \
	    -Wno-missing-field-initializers -fno-common; do
		QEVAL_CC_FLAG([$f])
	done
	AC_SUBST([WARN_CFLAGS])
])

AC_DEFUN([QEVAL_ARG_WERROR], [
	AC_ARG_ENABLE([werror],
	    [AS_HELP_STRING([--enable-werror], [treat warnings as errors])],
	    [], [enable_werror=no])
	AS_IF([test "x$enable_werror" = xyes],
	    [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
])

dnl --enable-sanitizers[=address,undefined]
AC_DEFUN([QEVAL_ARG_SANITIZERS], [
	AC_ARG_ENABLE([sanitizers],
	    [AS_HELP_STRING([--enable-sanitizers@<:@=LIST@:>@],
	        [build with -fsanitize=LIST (default address,undefined)])],
	    [], [enable_sanitizers=no])
	SAN_CFLAGS=
	SAN_LDFLAGS=
	AS_CASE([$enable_sanitizers],
	    [no], [],
	    [yes], [enable_sanitizers=address,undefined])
	AS_IF([test "x$enable_sanitizers" != xno], [
		SAN_CFLAGS="-fsanitize=$enable_sanitizers -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
		SAN_LDFLAGS="-fsanitize=$enable_sanitizers"
	])
	AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" != xno])
	AC_SUBST([SAN_CFLAGS])
	AC_SUBST([SAN_LDFLAGS])
])
