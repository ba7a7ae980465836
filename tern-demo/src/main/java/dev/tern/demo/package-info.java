/**
 * The README's main job in one process: a source and a destination with dma-engines and a uart, a workload
 * standing in for the guest's vCPUs, and a live migration between them over loopback TCP
 * ({@link dev.tern.demo.Demo}).
 */
package dev.tern.demo;
