// Follow Cockpit's light/dark style. The shell keeps the user's choice in
// localStorage "shell:style" ("auto", "light" or "dark"), tells pages of a
// change with a "storage" event (other frames) or a "cockpit-style" event;
// "auto" follows the browser's prefers-color-scheme. PatternFly 5 switches
// to its dark tokens with the class pf-v5-theme-dark on <html>.
const DARK_CLASS = "pf-v5-theme-dark";

function apply(style) {
    let choice = style;
    if (!choice) {
        try {
            choice = window.localStorage.getItem("shell:style");
        } catch (e) {
            choice = null;
        }
    }
    choice = choice || "auto";
    const prefersDark = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
    const dark = choice === "dark" || (choice === "auto" && prefersDark);
    document.documentElement.classList.toggle(DARK_CLASS, dark);
}

export function followCockpitTheme() {
    window.addEventListener("storage", ev => {
        if (ev.key === "shell:style")
            apply();
    });
    window.addEventListener("cockpit-style", ev => {
        apply(ev.detail && ev.detail.style);
    });
    if (window.matchMedia)
        window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => apply());
    apply();
}
