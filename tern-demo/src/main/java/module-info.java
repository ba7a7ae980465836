/** The demo: a live migration of running sample devices and guest memory over loopback TCP ({@code tern demo}). */
module dev.tern.demo {
    requires transitive dev.tern.migration;
    requires transitive dev.tern.samples;
    requires dev.tern.device;
    requires dev.tern.vmm;

    exports dev.tern.demo;
}
