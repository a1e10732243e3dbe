/* the generated sequences of this build (gen_rand.py) */
#include "rand_gen.S"
