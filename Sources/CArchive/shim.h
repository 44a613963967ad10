#ifndef FERRY_CARCHIVE_SHIM_H
#define FERRY_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* Macros Swift cannot import (they are casts): typed copies. */
static const unsigned int FERRY_AE_IFMT = AE_IFMT;
static const unsigned int FERRY_AE_IFREG = AE_IFREG;
static const unsigned int FERRY_AE_IFLNK = AE_IFLNK;
static const unsigned int FERRY_AE_IFDIR = AE_IFDIR;
#endif
