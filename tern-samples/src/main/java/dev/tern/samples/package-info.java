/**
 * Tern's sample devices, built on the SDK: the {@code uart} (a 16550 like the kernel's mtty, small state saved
 * whole) and the {@code dma-engine} (large on-device memory streamed in pre-copy rounds with dirty tracking, and a
 * copy engine DMA-ing into guest memory), offered by name to the CLI as {@link dev.tern.device.DeviceFactory}
 * services ({@link dev.tern.samples.UartFactory}, {@link dev.tern.samples.DmaEngineFactory}).
 */
package dev.tern.samples;
