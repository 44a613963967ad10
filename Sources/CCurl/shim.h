#ifndef FERRY_CCURL_SHIM_H
#define FERRY_CCURL_SHIM_H
#include <curl/curl.h>

/* Swift cannot call the variadic curl_easy_setopt / curl_easy_getinfo / curl_share_setopt:
   one typed wrapper per argument type. */
static inline CURLcode ferry_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_share(CURL *h, CURLoption o, CURLSH *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_write(CURL *h, CURLoption o, curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_read(CURL *h, CURLoption o, curl_read_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_setopt_xferinfo(CURL *h, CURLoption o, curl_xferinfo_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ferry_curl_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ferry_curl_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLSHcode ferry_curl_share_setopt_long(CURLSH *h, CURLSHoption o, long v) { return curl_share_setopt(h, o, v); }
static inline CURLSHcode ferry_curl_share_setopt_lockf(CURLSH *h, CURLSHoption o, curl_lock_function v) { return curl_share_setopt(h, o, v); }
static inline CURLSHcode ferry_curl_share_setopt_unlockf(CURLSH *h, CURLSHoption o, curl_unlock_function v) { return curl_share_setopt(h, o, v); }
static inline CURLSHcode ferry_curl_share_setopt_ptr(CURLSH *h, CURLSHoption o, void *v) { return curl_share_setopt(h, o, v); }

static const long FERRY_CURL_GLOBAL_ALL = CURL_GLOBAL_ALL;
#endif
