/*
 * banned.h - turns libc calls that invite overflows or hidden state into
 * compile errors inside the core and the front ends.  Use snprintf, memcpy
 * with a checked length, strtok_r, and getline instead.
 */
#ifndef COS_BANNED_H
#define COS_BANNED_H

#define COS_BANNED(func) sorry_##func##_is_banned_in_cos

#undef strcpy
#define strcpy(d, s) COS_BANNED(strcpy)
#undef strcat
#define strcat(d, s) COS_BANNED(strcat)
#undef strncpy
#define strncpy(d, s, n) COS_BANNED(strncpy)
#undef strncat
#define strncat(d, s, n) COS_BANNED(strncat)
#undef sprintf
#define sprintf(...) COS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) COS_BANNED(vsprintf)
#undef gets
#define gets(s) COS_BANNED(gets)
#undef strtok
#define strtok(s, d) COS_BANNED(strtok)
#undef asctime
#define asctime(t) COS_BANNED(asctime)
#undef ctime
#define ctime(t) COS_BANNED(ctime)
#undef gmtime
#define gmtime(t) COS_BANNED(gmtime)
#undef localtime
#define localtime(t) COS_BANNED(localtime)

#endif /* COS_BANNED_H */
