/* rename, RENAME_NOREPLACE, RENAME_EXCHANGE, directories */
#include "files.h"
static void show_file(const char *p)
{
    char buf[32];
    int fd = f_open(p, O_RDONLY, 0);
    long n = fd < 0 ? fd : f_read(fd, buf, sizeof buf);
    if (n < 0) { printf("%ld\n", n); return; }
    f_write(1, buf, n);
    f_puts(1, "\n");
    f_close(fd);
}
int main(int argc, char **argv)
{
    (void)argc;
    char a[256], b[256], c[256], d[256];
    f_umask(022);
    f_path(a, argv[1], "a"); f_path(b, argv[1], "b"); f_path(c, argv[1], "c"); f_path(d, argv[1], "dir");
    int fd = f_open(a, O_CREAT | O_WRONLY, 0644); f_write(fd, "AAA", 3); f_close(fd);
    fd = f_open(b, O_CREAT | O_WRONLY, 0644); f_write(fd, "BBB", 3); f_close(fd);
    f_show("noreplace", f_rename(a, b, RENAME_NOREPLACE));
    f_show("exchange", f_rename(a, b, RENAME_EXCHANGE));
    show_file(a); show_file(b);
    f_show("rename", f_rename(a, c, 0));
    show_file(a); show_file(c);
    f_show("replace", f_rename(c, b, 0));
    show_file(b);
    f_show("missing", f_rename(c, a, 0));
    f_show("both flags", f_rename(b, a, 3));
    f_mkdir(d, 0755);
    char in[256];
    f_show("into itself", f_rename(d, f_path(in, d, "x"), 0));
    f_show("file over dir", f_rename(b, d, 0));
    f_show("move into dir", f_rename(b, f_path(in, d, "moved"), 0));
    show_file(in);
    return 0;
}
