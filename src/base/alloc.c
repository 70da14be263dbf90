/* alloc.c - strata_free, the one way to release memory the library hands out. */
#include <stdlib.h>

#include "strata.h"

void strata_free(void *p) { free(p); }
