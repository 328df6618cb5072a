/* nested directories, chdir, getcwd, relative paths, stat sizes and modes */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], cwd[256];
    struct stat64 st;
    f_umask(027);
    f_show("chdir", f_chdir(argv[1]));
    f_show("mkdir a", f_mkdir("a", 0777));
    f_show("mkdir a/b", f_mkdir("a/b", 0700));
    f_show("mkdir missing parent", f_mkdir("x/y", 0777));
    f_show("chdir a/b", f_chdir("a/b"));
    long n = f_getcwd(cwd, sizeof cwd);
    f_show("getcwd ok", n == (long)strlen(argv[1]) + 5 && memcmp(cwd + strlen(argv[1]), "/a/b", 5) == 0);
    f_show("getcwd small", f_getcwd(cwd, 3));
    int fd = f_open("leaf.txt", O_CREAT | O_WRONLY, 0666);
    f_write(fd, "0123456789", 10);
    f_show("chdir ..", f_chdir("../.."));
    f_show("stat leaf", f_stat("a/b/leaf.txt", &st));
    printf("mode %o size %lld nlink %u\n", st.st_mode, st.st_size, st.st_nlink);
    f_stat("a", &st);
    printf("dir mode %o\n", st.st_mode);
    f_stat("a/b", &st);
    printf("dir mode %o\n", st.st_mode);
    f_show("stat missing", f_stat("a/zz", &st));
    f_show("chdir file", f_chdir("a/b/leaf.txt"));
    f_show("old umask", f_umask(022));
    (void)p;
    return 0;
}
