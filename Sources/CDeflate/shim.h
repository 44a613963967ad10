#ifndef FERRY_CDEFLATE_SHIM_H
#define FERRY_CDEFLATE_SHIM_H
/* libdeflate: whole-buffer DEFLATE and CRC-32 (Ferry writes zips with it). */
#include <libdeflate.h>
#endif
