#ifndef FERRY_CARCHIVE_SHIM_H
#define FERRY_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

/* Macros Swift cannot import (they are casts): typed copies. */
static const unsigned int FERRY_AE_IFMT = AE_IFMT;
static const unsigned int FERRY_AE_IFREG = AE_IFREG;
static const unsigned int FERRY_AE_IFLNK = AE_IFLNK;
static const unsigned int FERRY_AE_IFDIR = AE_IFDIR;
static const unsigned int FERRY_AE_IFCHR = AE_IFCHR;
static const unsigned int FERRY_AE_IFBLK = AE_IFBLK;
static const unsigned int FERRY_AE_IFIFO = AE_IFIFO;
static const unsigned int FERRY_AE_IFSOCK = AE_IFSOCK;

/* A C.UTF-8 locale for uselocale(): libarchive converts entry names between the
 * archive's charset and the *thread's* locale, and in the C locale every non-ASCII
 * name fails. NULL if the system has no C.UTF-8. */
static inline locale_t ferry_archive_utf8_locale(void) {
    return newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}
#endif
