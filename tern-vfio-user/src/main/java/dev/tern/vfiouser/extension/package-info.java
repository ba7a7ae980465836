/** Tern's own, negotiated additions to vfio-user that the codec does not model as typed messages. */
package dev.tern.vfiouser.extension;
