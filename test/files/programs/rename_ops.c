/* rename: plain, over an existing file, directories, open descriptors follow the file. */
#include <fcntl.h>
#include <sys/stat.h>
#include "check.h"

static void show_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", path, errname(errno));
        return;
    }
    dump(path, fd, 64);
    close(fd);
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    put(fd, "contents of a");
    SHOW(rename("a.txt", "b.txt"));
    show_file("a.txt");
    show_file("b.txt");
    /* the open descriptor still refers to the renamed file */
    put(fd, "+");
    show_file("b.txt");
    close(fd);

    fd = open("c.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    put(fd, "c");
    close(fd);
    SHOW(rename("b.txt", "c.txt")); /* replaces c.txt */
    show_file("b.txt");
    show_file("c.txt");
    SHOW(rename("c.txt", "c.txt"));
    SHOW(rename("missing", "x"));

    SHOW(mkdir("dir1", 0755));
    fd = open("dir1/inside", O_WRONLY | O_CREAT, 0644);
    put(fd, "inside");
    close(fd);
    SHOW(rename("dir1", "dir2"));
    show_file("dir2/inside");
    SHOW(rename("c.txt", "dir2/moved.txt"));
    show_file("dir2/moved.txt");
    SHOW(mkdir("empty", 0755));
    SHOW(rename("empty", "dir2"));           /* dir2 not empty */
    SHOW(rename("dir2/moved.txt", "empty")); /* file over a directory */
    SHOW(rename("empty", "dir2/inside"));    /* directory over a file */
    SHOW(rename("dir2", "dir2/sub"));        /* into itself */
    SHOW(mkdir("target", 0755));
    SHOW(rename("empty", "target"));         /* over an empty directory */
    struct stat st;
    SHOW(stat("empty", &st));
    SHOW(stat("target", &st));
    SHOW(remove("target"));
    SHOW(remove("dir2/moved.txt"));
    SHOW(remove("dir2/moved.txt"));

    FILE *f = fopen("stdio.tmp", "w");
    fputs("renamed by stdio\n", f);
    fclose(f);
    SHOW(rename("stdio.tmp", "stdio.txt"));
    show_file("stdio.txt");
    return 0;
}
