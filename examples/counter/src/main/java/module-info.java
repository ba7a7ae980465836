/** The counter example: a device on Tern's SDK, served over vfio-user. */
module org.example.counter {
    requires transitive dev.tern.device;   // CounterDevice's public API is made of SDK types
    requires dev.tern.vmm;

    exports org.example.counter;
}
