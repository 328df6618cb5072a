/* ftruncate64 grows with zeros and shrinks; EINVAL on a read-only handle */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[32];
    struct stat64 st;
    f_umask(022);
    f_path(p, argv[1], "t.bin");
    int fd = f_open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
    f_write(fd, "abcdefgh", 8);
    f_show("shrink", f_ftruncate(fd, 3));
    f_show("offset", f_lseek(fd, 0, SEEK_CUR));
    f_show("grow", f_ftruncate(fd, 12));
    f_fstat(fd, &st);
    f_show("size", (long)st.st_size);
    long n = f_pread(fd, buf, sizeof buf, 0);
    for (long k = 0; k < n; k++) printf("%d ", buf[k]);
    printf("\n");
    f_show("write at old offset", f_write(fd, "Z", 1));
    f_fstat(fd, &st);
    f_show("size", (long)st.st_size);
    int ro = f_open(p, O_RDONLY, 0);
    f_show("ro truncate", f_ftruncate(ro, 0));
    f_show("neg truncate", f_ftruncate(fd, -1));
    f_show("O_TRUNC", f_close(f_open(p, O_WRONLY | O_TRUNC, 0)));
    f_stat(p, &st);
    f_show("size", (long)st.st_size);
    return 0;
}
