# Branch reach: near, exactly at the limits, and far (relaxed to an
# inverted branch over a jal, as GNU as does).
    .text
    .globl _start
_start:
    beq     a0, a1, far_forward
    bne     a0, a1, near_forward
    blt     a0, a1, edge_forward
    bgeu    a0, a1, 1f
    beqz    a0, far_forward
    bgt     a0, a1, far_forward
    jal     far_forward
    j       far_forward
near_forward:
    .space  4000
edge_forward:
    nop
1:  nop
    .space  4096
far_forward:
    beq     a0, a1, _start
    bnez    t0, near_forward
    bltu    a0, a1, back_edge
    j       _start
    .space  2040
back_edge:
    .space  2048
    bge     a0, a1, back_edge
    bge     a0, a1, back_edge
    bge     a0, a1, back_edge
    jal     ra, _start
    j       .
    beq     a0, a1, .
    beq     a0, a1, . + 8
    nop
    nop

# Exactly at the conditional-branch reach (offsets are multiples of 4):
# +4092 and -4096 fit; +4096 and -4100 are relaxed.
edge_in:
    beq     a0, a1, edge_in_target
    .space  4088
edge_in_target:
    nop
edge_out:
    bne     a0, a1, edge_out_target
    .space  4092
edge_out_target:
    nop
back_in_target:
    nop
    .space  4092
    blt     a0, a1, back_in_target
back_out_target:
    nop
    .space  4096
    bgeu    a0, a1, back_out_target
    ret
