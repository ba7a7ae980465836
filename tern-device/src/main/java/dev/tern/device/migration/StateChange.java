package dev.tern.device.migration;

import dev.tern.protocol.MigrationState;
import java.util.Optional;

/**
 * The answer to a successful state request ({@code struct vfio_device_feature_mig_state} after SET): the state
 * reached and, when the last arc opened a data session, its stream (the uAPI's {@code data_fd}).
 *
 * @param reached the device's state now (the requested one)
 * @param stream the new saving or resuming stream, if the final arc opened one
 */
public record StateChange(MigrationState reached, Optional<MigrationStream> stream) {
}
