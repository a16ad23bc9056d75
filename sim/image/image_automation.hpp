#pragma once
// Flux image automation in the simulated world: the fake registry, image-reflector-controller
// (ImageRepository scans, ImagePolicy selection) and image-automation-controller
// (ImageUpdateAutomation: Setters over a checkout, a real commit on the push branch). See
// docs/image-automation.md.
//
// Settings (`spec.controllers.image-automation`, all optional):
//   registry:                                   # initial registry content
//     123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector:
//       tags: [v1.2.3, sha-abc123, dev-1]       # in push order
//       digests: {v1.2.3: "sha256:..."}         # optional; derived from repo:tag otherwise
//
// Commands:
//   registry: push IMAGE:TAG[@DIGEST] ...        image.registry.push
//   registry: fail-scans [IMAGE ...]             scans fail (all repositories when none named)
//   registry: recover-scans [IMAGE ...]
//   image: reconcile repository|policy|update NAME [-n NS]   like `flux reconcile image ...`

namespace rehearse::sim {

class ControllerCatalog;

// Adds the "image-automation" controller factory (tools "registry" and "image").
void register_image_automation(ControllerCatalog& catalog);

}  // namespace rehearse::sim
