/*
 * edge.h — operand values that exercise the corners of RV32 arithmetic:
 * zero, one, all-ones, the two extremes of int32, neighbours of powers of
 * two and shift-amount boundaries. Shared by the instruction-group programs.
 */
#ifndef FAULTLINE_CONFORMANCE_EDGE_H
#define FAULTLINE_CONFORMANCE_EDGE_H

#include "faultline-rt.h"

static const uint32_t EDGE[] = {
    0x00000000u, 0x00000001u, 0x00000002u, 0x00000003u, 0x0000001fu,
    0x00000020u, 0x00000021u, 0x0000007fu, 0x00000080u, 0x000000ffu,
    0x00007fffu, 0x00008000u, 0x0000ffffu, 0x00010000u, 0x12345678u,
    0x7ffffffeu, 0x7fffffffu, 0x80000000u, 0x80000001u, 0xdeadbeefu,
    0xfffffff0u, 0xfffffffeu, 0xffffffffu,
};

#define EDGE_COUNT ((int)(sizeof EDGE / sizeof EDGE[0]))

#endif
