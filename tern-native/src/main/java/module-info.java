/**
 * One FFM facade over the Linux calls Tern needs (AF_UNIX sockets with SCM_RIGHTS, memfd, mmap, eventfd, poll,
 * ioctl) and the errno values every layer reports. Run with {@code --enable-native-access=dev.tern.sys}.
 */
module dev.tern.sys {
    exports dev.tern.sys;
}
