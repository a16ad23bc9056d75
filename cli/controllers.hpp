#pragma once
// The controllers this build of rehearse can simulate. The one place that names them: each
// engine's simulation adapter contributes a factory here.

namespace rehearse::sim {
class ControllerCatalog;
}

namespace rehearse::cli {

sim::ControllerCatalog& default_catalog();

}  // namespace rehearse::cli
