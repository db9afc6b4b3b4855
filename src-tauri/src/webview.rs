//! How the window's web view is set up on Linux (WebKitGTK), for memory: the UI is forms and
//! lists drawn from a local bundle, so WebKit's machinery for the open web is turned down.
//!
//! Measured under Xvfb on the 200k-resident demo file (see BENCHMARKS.md, "Desktop app"): without
//! accelerated compositing the web process holds 118 MB instead of 196 MB after the first screen
//! (the layers' buffers go); the first screen's time did not change. Compositing would pay for
//! animations and 3D transforms the UI does not use; on laptops with unreliable graphics drivers
//! it is also a known cause of blank or flickering WebKitGTK windows.

use tauri::{Manager, Runtime};

/// Applies the settings to the main window's web view. Called once the window exists; WebKit
/// applies a changed policy to the page already loading.
pub fn tune<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    let Some(window) = app.get_webview_window("main") else {
        return Ok(());
    };
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            // A local app: nothing to gain from keeping fetched resources in memory.
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}
