/**
 * The v1 migration protocol (kernel 5.8–5.17, the {@code device_state} bits of the migration region): the eight
 * bit combinations, the two validity policies from the 2021 discussion, and the ordered driver actions one write
 * triggers ({@link dev.tern.protocol.v1.V1Plan}).
 */
package dev.tern.protocol.v1;
