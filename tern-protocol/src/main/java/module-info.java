/**
 * The VFIO migration state machine as an executable specification: the v2 FSM with its next-step table and
 * walker, the arcs drivers implement, and the v1 bit model. Pure Java, no dependencies beyond {@code java.base}.
 */
module dev.tern.protocol {
    exports dev.tern.protocol;
    exports dev.tern.protocol.v1;
}
