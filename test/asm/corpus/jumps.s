# jal at the ends of its reach: +1048572 and -1048576.
    .text
    .globl _start
_start:
    jal     ra, forward_limit
back_limit:
    nop
    .space  1048564
forward_limit:
    nop
    .space  4
    j       back_limit
