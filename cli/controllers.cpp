#include "cli/controllers.hpp"

#include "sim/argocd/argocd_controller.hpp"
#include "sim/flux/flux_controller.hpp"
#include "sim/image/image_automation.hpp"
#include "sim/rollouts/rollouts_controller.hpp"
#include "sim/world/controller.hpp"

namespace rehearse::cli {

sim::ControllerCatalog& default_catalog() {
  // Built once, read-only afterwards (shared by the --jobs threads).
  static sim::ControllerCatalog catalog = [] {
    sim::ControllerCatalog c;
    sim::register_flux(c);
    sim::register_image_automation(c);
    sim::register_argocd(c);
    sim::register_rollouts(c);
    return c;
  }();
  return catalog;
}

}  // namespace rehearse::cli
