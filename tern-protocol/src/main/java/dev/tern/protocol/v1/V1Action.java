package dev.tern.protocol.v1;

/**
 * What a v1 driver does when a {@code device_state} bit toggles (Jason Gunthorpe's per-bit rules in the 2021
 * thread, spec §1.5). The enum order is the order in which actions run within one write.
 */
public enum V1Action {
    /** RUNNING 1→0, first: stop issuing DMA and interrupts, let in-flight work complete. */
    QUIESCE("stop issuing DMA and interrupts; complete in-flight work"),
    /** RUNNING 1→0, second: internal state can no longer change. */
    FREEZE("freeze internal state"),
    /**
     * RUNNING 1→0 while SAVING stays set (pre-copy → stop-and-copy): after freezing, serialize what changed
     * since pre-copy. The 2021 sketch left this case open.
     */
    SERIALIZE_POST_COPY_REMAINDER("serialize the state that changed since pre-copy (post-copy remainder)"),
    /** RESUMING 1→0: load the written state; on failure the device goes to the error state 110b. */
    DESERIALIZE("deserialize and apply the written state"),
    /** SAVING 1→0: the save stream is finished or abandoned; release it. Implicit in the 2021 sketch. */
    END_SAVING("release the saving stream"),
    /** RESUMING 0→1: open an empty sink for incoming state. Implicit in the 2021 sketch. */
    PREPARE_RESUMING("open a sink for incoming state"),
    /** SAVING 0→1 with RUNNING set: serialize the state while the device keeps running. */
    SERIALIZE_PRE_COPY("serialize pre-copy state while running"),
    /** SAVING 0→1 with RUNNING clear: serialize the whole frozen state. */
    SERIALIZE_POST_COPY("serialize the whole frozen (post-copy) state"),
    /** RUNNING 0→1, first. */
    UNFREEZE("unfreeze internal state"),
    /** RUNNING 0→1, second: DMA and interrupts may flow again. */
    UNQUIESCE("resume DMA and interrupts");

    private final String meaning;

    V1Action(final String meaning) {
        this.meaning = meaning;
    }

    /** {@return what the driver does, in one line} */
    public String meaning() {
        return meaning;
    }
}
