/* getcwd/chdir with relative and absolute paths, "." and "..", and path errors. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include "check.h"

static size_t root_len;

/* Prints the current directory relative to the scratch directory. */
static void where(void)
{
    char buf[PATH_MAX];
    MUST(getcwd(buf, sizeof buf) != NULL);
    printf("cwd: .%s\n", buf + root_len);
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    char root[PATH_MAX];
    MUST(getcwd(root, sizeof root) != NULL);
    root_len = strlen(root);
    printf("cwd is the scratch directory: %d\n", strcmp(root, argv[1]) == 0);
    SHOW(mkdir("a", 0755));
    SHOW(mkdir("a/b", 0755));
    SHOW(mkdir("a/b/c", 0755));
    SHOW(chdir("a/b"));
    where();
    int fd = open("here.txt", O_WRONLY | O_CREAT, 0644);
    put(fd, "in a/b");
    close(fd);
    SHOW(chdir(".."));
    where();
    SHOW(chdir("./b/../b/c/."));
    where();
    SHOW(chdir("../../../a"));
    where();
    SHOW(chdir("nope"));
    SHOW(chdir("b/here.txt"));
    SHOW(open("b/here.txt/x", O_RDONLY));
    where();
    char small[4];
    SHOW(getcwd(small, sizeof small) == NULL);
    printf("errno %s\n", errname(errno));
    SHOW(chdir(argv[1]));
    where();
    /* an absolute path to a file in the tree */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/a/b/here.txt", argv[1]);
    fd = open(path, O_RDONLY);
    dump("absolute", fd, 32);
    close(fd);
    struct stat st;
    SHOW(stat("a/b/here.txt", &st));
    printf("size %lld\n", (long long)st.st_size);
    SHOW(stat("a/b/", &st));
    printf("dir %d\n", S_ISDIR(st.st_mode));
    SHOW(stat("a/b/here.txt/", &st));
    SHOW(stat("", &st));
    SHOW(open("", O_RDONLY));
    SHOW(mkdir("a/b/c/", 0755));
    SHOW(open("a", O_WRONLY));
    SHOW(open("a", O_RDONLY | O_DIRECTORY) >= 0);
    SHOW(open("a/b/here.txt", O_RDONLY | O_DIRECTORY));
    return 0;
}
