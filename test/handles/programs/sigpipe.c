/* a write to a pipe whose read end is closed: EPIPE with SIGPIPE, which kills the process (status 141) */
#include "files.h"
int main(void)
{
    int fds[2];
    f_show("pipe2", f_pipe2(fds, 0));
    f_show("write with reader", f_write(fds[1], "ok", 2));
    f_show("close reader", f_close(fds[0]));
    print_flush();
    f_write(fds[1], "x", 1);
    f_puts(1, "not reached\n");
    return 0;
}
