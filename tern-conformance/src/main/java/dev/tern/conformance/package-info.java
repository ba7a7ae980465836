/**
 * The conformance kit: {@link dev.tern.conformance.ConformanceKit} checks that a
 * {@link dev.tern.device.migration.MigrationTarget} migrates the way the VFIO v2 uAPI requires (every state request
 * against the kernel's FSM, save/load round trips, misuse, data-fd rules, faults, DMA logging, repeated
 * migration), on whatever a {@link dev.tern.conformance.Subject} opens: the in-process engine, a vfio-user server
 * or a kernel device.
 */
package dev.tern.conformance;
