/* matrix: 32-bit integer matrix multiply, C = A x B, 100 x 100, ikj order, 16 times. */
#include "bench.h"

#define M      100
#define ROUNDS 16

static int32_t A[M][M], B[M][M], C[M][M];

static uint64_t kernel(void)
{
	uint64_t seed = 0x3a7c1, sum = 0;

	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < M; i++) {
			for (int j = 0; j < M; j++) {
				A[i][j] = (int32_t)(bench_rand(&seed) % 201) - 100;
				B[i][j] = (int32_t)(bench_rand(&seed) % 201) - 100;
				C[i][j] = 0;
			}
		}
		for (int i = 0; i < M; i++) {
			for (int k = 0; k < M; k++) {
				int32_t aik = A[i][k];
				for (int j = 0; j < M; j++)
					C[i][j] += aik * B[k][j];
			}
		}
		for (int i = 0; i < M; i++) {
			for (int j = 0; j < M; j++)
				sum = bench_mix(sum, (uint32_t)C[i][j]);
		}
	}
	return sum;
}

BENCH_MAIN("matrix", kernel, 0xa2653de4172fe83a)
