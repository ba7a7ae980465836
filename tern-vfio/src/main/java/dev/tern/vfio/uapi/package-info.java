/**
 * The VFIO uAPI's numbers ({@link dev.tern.vfio.uapi.Vfio}) and struct layouts
 * ({@link dev.tern.vfio.uapi.VfioLayouts}) for x86-64, declared once and pinned to {@code linux/vfio.h} by tests.
 */
package dev.tern.vfio.uapi;
