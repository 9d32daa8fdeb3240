use super::*;

/// A user file with one valid qube, and `extra` appended to that qube's table.
fn one_qube(extra: &str) -> String {
    format!("[[qube]]\nname = \"work\"\nlabel = \"blue\"\nlisten = \"/run/work.sock\"\n{extra}\n")
}

fn err(user: &str) -> String {
    match Config::from_overlay(Some(user)) {
        Ok(c) => panic!("accepted {user:?} as {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn ok(user: &str) -> Config {
    match Config::from_overlay(Some(user)) {
        Ok(c) => c,
        Err(e) => panic!("refused {user:?}: {e}"),
    }
}

#[test]
fn defaults_parse_and_hold_the_documented_values() {
    let c = Config::from_overlay(None).unwrap();
    assert_eq!(c.zone.role, Role::Slave);
    assert!(c.qubes.is_empty());
    assert_eq!(c.keyboard.layout, "us");
    assert_eq!(c.keyboard.variant, "");
    assert_eq!(c.keyboard.options, "");
    assert_eq!(c.keyboard.model, "");
    assert_eq!(c.keyboard.repeat_delay_ms, 600);
    assert_eq!(c.keyboard.repeat_rate_hz, 25);
    assert_eq!(c.decorations.border_width, 3);
    assert_eq!(c.decorations.title_height, 24);
    assert_eq!(c.ipc.socket, "");
    assert!(c.native.enabled);
    assert_eq!(c.native.socket, "");
    assert_eq!(c.native.label, "gui");
    assert!(c.native.screencopy);
    assert!(!c.native.virtual_keyboard);
    let labels = [
        ("red", "#cc0000"),
        ("orange", "#f57900"),
        ("yellow", "#edd400"),
        ("green", "#73d216"),
        ("gray", "#555555"),
        ("blue", "#3465a4"),
        ("purple", "#75507b"),
        ("black", "#000000"),
        ("gui", "#9a9996"),
    ];
    assert_eq!(c.labels.0.len(), labels.len());
    for (name, colour) in labels {
        assert_eq!(c.label_colour(name).unwrap().to_string(), colour);
    }
    assert_eq!(
        c.clipboard.policy,
        vec![PolicyRule {
            from: "*".into(),
            to: "*".into(),
            action: PolicyAction::Allow
        }]
    );
    assert_eq!(Config::load(None).unwrap(), c);
}

#[test]
fn the_commented_qube_example_is_valid_and_shows_the_defaults() {
    let start = DEFAULTS.find("# [[qube]]").unwrap();
    let example: String = DEFAULTS[start..]
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let c = ok(&example);
    let q = &c.qubes[0];
    assert_eq!(q.name, "work");
    assert!(matches!(q.endpoint, QubeEndpoint::Listen(_)));
    assert_eq!(q.pool, None);
    // Its values are the defaults, as its comments say.
    let plain = &ok(&one_qube("")).qubes[0];
    assert_eq!(q.allow_fullscreen, plain.allow_fullscreen);
    assert_eq!(q.max_windows, plain.max_windows);
    assert_eq!(q.allow_utf8_titles, plain.allow_utf8_titles);
    assert_eq!(q.max_pool_bytes, plain.max_pool_bytes);
}

#[test]
fn qube_defaults() {
    let c = ok(&one_qube(""));
    assert_eq!(
        c.qubes,
        vec![QubeConfig {
            name: "work".into(),
            label: "blue".into(),
            endpoint: QubeEndpoint::Listen("/run/work.sock".into()),
            pool: None,
            allow_fullscreen: false,
            max_windows: 500,
            allow_utf8_titles: false,
            max_pool_bytes: 1 << 30,
        }]
    );
}

#[test]
fn tables_merge_deeply_and_other_values_replace() {
    let c = ok(r##"
        [output]
        width = 800
        [labels]
        blue = "#0000FF"
        pink = "#ff00ff"
        [clipboard]
        policy = [{ from = "*", to = "*", action = "deny" }]
    "##);
    assert_eq!(c.output.width, 800);
    assert_eq!(c.output.height, 1080, "a sibling key keeps its default");
    assert_eq!(c.label_colour("blue"), Some(Rgb { r: 0, g: 0, b: 255 }));
    assert_eq!(
        c.label_colour("pink"),
        Some(Rgb {
            r: 255,
            g: 0,
            b: 255
        })
    );
    assert_eq!(
        c.label_colour("red"),
        Some(Rgb {
            r: 0xcc,
            g: 0,
            b: 0
        })
    );
    assert_eq!(c.label_colour("nope"), None);
    assert_eq!(c.clipboard.policy.len(), 1, "arrays replace, not append");
    assert_eq!(c.clipboard.max_bytes, 64_000);
}

#[test]
fn names() {
    for good in ["a", "work", "W0rk-dev_2", &"a".repeat(31)] {
        assert!(is_valid_name(good), "{good}");
        ok(&format!(
            "[zone]\nname = \"{good}\"\n{}",
            one_qube("").replace("work", good)
        ));
    }
    for bad in [
        "",
        "9lives",
        "-a",
        "_a",
        "a b",
        "a.b",
        "é",
        "a/b",
        &"a".repeat(32),
    ] {
        assert!(!is_valid_name(bad), "{bad}");
    }
    assert_eq!(
        err(&one_qube("").replace("work", "9lives")),
        "config: qube[0].name: \"9lives\" is not a qube name (1 to 31 letters, digits, '-' \
         or '_', starting with a letter)"
    );
    assert!(
        err("[zone]\nname = \"a b\"").starts_with("config: zone.name: \"a b\" is not a zone name")
    );
}

#[test]
fn qube_names_are_unique() {
    let two = format!(
        "{}{}",
        one_qube(""),
        one_qube("").replace("/run/work", "/run/w2")
    );
    assert_eq!(
        err(&two),
        "config: qube[1].name: \"work\" is already the name of qube[0]"
    );
    let c = ok(&format!(
        "{}{}",
        one_qube(""),
        one_qube("").replace("work", "mail")
    ));
    assert_eq!(c.qubes.len(), 2);
}

#[test]
fn no_qube_may_wear_the_label_of_the_gui_qubes_own_windows() {
    let e = err(&one_qube("").replace("blue", "gui"));
    assert!(
        e.starts_with("config: qube[0].label: \"gui\" is the label of the GUI qube's own"),
        "{e}"
    );
    // With another native label, "gui" is an ordinary label again.
    let c = ok(&format!(
        "[native]\nlabel = \"gray\"\n{}",
        one_qube("").replace("blue", "gui")
    ));
    assert_eq!(c.qubes[0].label, "gui");
    assert!(err("[native]\nlabel = \"pink\"").starts_with("config: native.label: "));
}

#[test]
fn qube_labels_must_exist() {
    let e = err(&one_qube("").replace("blue", "pink"));
    assert!(
        e.starts_with("config: qube[0].label: \"pink\" is not a label in [labels]"),
        "{e}"
    );
    let c = ok(&format!(
        "[labels]\npink = \"#ff00ff\"\n{}",
        one_qube("").replace("blue", "pink")
    ));
    assert_eq!(
        c.label_colour(&c.qubes[0].label),
        Some(Rgb {
            r: 255,
            g: 0,
            b: 255
        })
    );
}

#[test]
fn colours() {
    assert_eq!(
        "#0aFf10".parse(),
        Ok(Rgb {
            r: 10,
            g: 255,
            b: 16
        })
    );
    assert_eq!("#000000".parse(), Ok(Rgb { r: 0, g: 0, b: 0 }));
    for bad in [
        "", "#", "0a0b0c", "#0a0b0", "#0a0b0c0", "#0g0000", "#+1+1+1", "#-1-1-1", "# 12345",
    ] {
        assert!(bad.parse::<Rgb>().is_err(), "{bad}");
    }
    assert_eq!(
        err("[labels]\nred = \"#12345\""),
        "config: labels.red: \"#12345\" is not a colour (\"#rrggbb\")"
    );
    assert!(err("[labels]\nred = 3").starts_with("config: labels.red: "));
}

#[test]
fn exactly_one_endpoint() {
    let c = ok(&one_qube("").replace("listen", "connect"));
    assert_eq!(
        c.qubes[0].endpoint,
        QubeEndpoint::Connect("/run/work.sock".into())
    );
    assert_eq!(
        err(&one_qube("connect = \"/run/x.sock\"")),
        "config: qube[0]: has both `listen` and `connect`; set exactly one"
    );
    assert_eq!(
        err("[[qube]]\nname = \"work\"\nlabel = \"blue\""),
        "config: qube[0]: has neither `listen` nor `connect`; set exactly one"
    );
    assert_eq!(
        err(&one_qube("").replace("/run/work.sock", "")),
        "config: qube[0].listen: is empty; give a path"
    );
}

#[test]
fn pool_is_optional() {
    let c = ok(&one_qube("pool = \"/proc/1/fd/3\""));
    assert_eq!(c.qubes[0].pool, Some(PathBuf::from("/proc/1/fd/3")));
    assert_eq!(
        err(&one_qube("pool = \"\"")),
        "config: qube[0].pool: is empty; give a path"
    );
}

#[test]
fn qube_limits() {
    let c = ok(&one_qube(
        "allow_fullscreen = true\nallow_utf8_titles = true\nmax_windows = 10000\n\
         max_pool_bytes = 17179869184",
    ));
    let q = &c.qubes[0];
    assert!(q.allow_fullscreen && q.allow_utf8_titles);
    assert_eq!((q.max_windows, q.max_pool_bytes), (10_000, 16 << 30));
    ok(&one_qube("max_windows = 1\nmax_pool_bytes = 1"));
    assert_eq!(
        err(&one_qube("max_windows = 0")),
        "config: qube[0].max_windows: 0 is out of range (1 to 10000)"
    );
    assert!(err(&one_qube("max_windows = 10001")).starts_with("config: qube[0].max_windows: "));
    assert!(err(&one_qube("max_pool_bytes = 0")).starts_with("config: qube[0].max_pool_bytes: "));
    assert!(err(&one_qube("max_pool_bytes = 17179869185"))
        .starts_with("config: qube[0].max_pool_bytes: "));
    assert!(err(&one_qube("max_windows = -1")).starts_with("config: qube[0].max_windows: "));
}

#[test]
fn output_ranges() {
    ok("[output]\nwidth = 1\nheight = 1\nrefresh_hz = 1");
    ok("[output]\nwidth = 16384\nheight = 6144\nrefresh_hz = 1000");
    assert_eq!(
        err("[output]\nwidth = 0"),
        "config: output.width: 0 is out of range (1 to 16384)"
    );
    assert!(err("[output]\nwidth = 16385").starts_with("config: output.width: "));
    assert!(err("[output]\nheight = 0").starts_with("config: output.height: "));
    assert!(err("[output]\nheight = 6145").starts_with("config: output.height: "));
    assert!(err("[output]\nrefresh_hz = 0").starts_with("config: output.refresh_hz: "));
    assert!(err("[output]\nrefresh_hz = 1001").starts_with("config: output.refresh_hz: "));
    assert!(err("[output]\nwidth = -5").starts_with("config: output.width: "));
}

#[test]
fn decoration_ranges() {
    ok("[decorations]\nborder_width = 1\ntitle_height = 12");
    ok("[decorations]\nborder_width = 32\ntitle_height = 64");
    assert!(
        err("[decorations]\nborder_width = 0").starts_with("config: decorations.border_width: ")
    );
    assert!(
        err("[decorations]\nborder_width = 33").starts_with("config: decorations.border_width: ")
    );
    assert!(
        err("[decorations]\ntitle_height = 11").starts_with("config: decorations.title_height: ")
    );
    assert!(
        err("[decorations]\ntitle_height = 65").starts_with("config: decorations.title_height: ")
    );
}

#[test]
fn clipboard_max_bytes() {
    ok("[clipboard]\nmax_bytes = 1");
    ok("[clipboard]\nmax_bytes = 256000");
    assert!(err("[clipboard]\nmax_bytes = 0").starts_with("config: clipboard.max_bytes: "));
    assert!(err("[clipboard]\nmax_bytes = 256001").starts_with("config: clipboard.max_bytes: "));
}

#[test]
fn policy_names_must_be_star_or_a_qube() {
    let rule = |from: &str, to: &str| {
        format!(
            "[clipboard]\npolicy = [{{ from = \"{from}\", to = \"{to}\", action = \"deny\" }}]\n{}",
            one_qube("")
        )
    };
    ok(&rule("work", "*"));
    ok(&rule("*", "work"));
    assert_eq!(
        err(&rule("mail", "*")),
        "config: clipboard.policy[0].from: \"mail\" is neither \"*\" nor the name of a \
         configured qube"
    );
    assert!(err(&rule("*", "mail")).starts_with("config: clipboard.policy[0].to: "));
    let e = err("[clipboard]\npolicy = [{ from = \"*\", to = \"*\", action = \"maybe\" }]");
    assert!(e.starts_with("config: clipboard.policy[0].action: "), "{e}");
    assert!(e.contains("maybe"), "{e}");
    assert!(ok("[clipboard]\npolicy = []").clipboard.policy.is_empty());
}

#[test]
fn clipboard_allows_by_first_match() {
    let rule = |from: &str, to: &str, action| PolicyRule {
        from: from.into(),
        to: to.into(),
        action,
    };
    let c = ClipboardConfig {
        max_bytes: 10,
        policy: vec![
            rule("vault", "*", PolicyAction::Deny),
            rule("*", "vault", PolicyAction::Allow),
            rule("work", "web", PolicyAction::Deny),
            rule("*", "*", PolicyAction::Allow),
        ],
    };
    assert!(!c.allows("vault", "web"));
    assert!(
        !c.allows("vault", "vault"),
        "the first match wins over a later allow"
    );
    assert!(c.allows("web", "vault"));
    assert!(!c.allows("work", "web"));
    assert!(c.allows("web", "work"));
    let none = ClipboardConfig {
        max_bytes: 10,
        policy: vec![rule("work", "web", PolicyAction::Allow)],
    };
    assert!(none.allows("work", "web"));
    assert!(!none.allows("web", "work"), "no match denies");
}

#[test]
fn roles() {
    assert_eq!(ok("[zone]\nrole = \"master\"").zone.role, Role::Master);
    assert_eq!(ok("[zone]\nrole = \"slave\"").zone.role, Role::Slave);
    assert!(err("[zone]\nrole = \"Master\"").starts_with("config: zone.role: "));
}

#[test]
fn unknown_keys_are_refused_with_their_path() {
    let e = err("[output]\nwidht = 800");
    assert!(
        e.starts_with("config: output.widht: unknown field `widht`"),
        "{e}"
    );
    assert!(err("[nope]\na = 1").starts_with("config: nope: unknown field"));
    assert!(err(&one_qube("colour = \"red\"")).starts_with("config: qube[0].colour: unknown field"));
    assert!(
        err("[clipboard]\npolicy = [{ from = \"*\", to = \"*\", action = \"allow\", x = 1 }]")
            .starts_with("config: clipboard.policy[0].x: unknown field")
    );
}

#[test]
fn wrong_types_name_the_key() {
    assert!(err("[output]\nwidth = \"wide\"").starts_with("config: output.width: "));
    assert!(err("output = 3").starts_with("config: output: "));
    assert!(err("[[qube]]\nname = \"work\"\nlabel = 1\nlisten = \"/x\"")
        .starts_with("config: qube[0].label: "));
}

#[test]
fn syntax_errors_carry_toml_line_and_column() {
    let e = err("[output]\nwidth = = 3");
    assert!(
        e.starts_with("config: TOML parse error at line 2, column"),
        "{e}"
    );
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("airgui.toml");
    std::fs::write(&path, "[output]\nwidth = 1280\n").unwrap();
    assert_eq!(Config::load(Some(&path)).unwrap().output.width, 1280);

    std::fs::write(&path, "[output]\nwidth = 0\n").unwrap();
    let e = Config::load(Some(&path)).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "config: {}: output.width: 0 is out of range (1 to 16384)",
            path.display()
        )
    );

    std::fs::write(&path, "[output\n").unwrap();
    let e = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "config: {}: TOML parse error at line 1",
            path.display()
        )),
        "{e}"
    );

    let missing = dir.path().join("missing.toml");
    let e = Config::load(Some(&missing)).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("config: cannot read {}: ", missing.display())),
        "{e}"
    );
}

#[test]
fn ipc_socket_paths() {
    let c = ok("[zone]\nname = \"cloud\"\n[ipc]\nsocket = \"/run/a.ipc\"");
    assert_eq!(c.ipc_socket(), PathBuf::from("/run/a.ipc"));
    assert_eq!(
        ipc_socket_path("", "cloud", Some("/run/user/7".into()), 7),
        PathBuf::from("/run/user/7/airgui/cloud.ipc")
    );
    assert_eq!(
        ipc_socket_path("", "cloud", None, 7),
        PathBuf::from("/tmp/airgui-7/cloud.ipc")
    );
    assert_eq!(
        ipc_socket_path("", "cloud", Some("relative".into()), 7),
        PathBuf::from("/tmp/airgui-7/cloud.ipc")
    );
    assert_eq!(
        ipc_socket_path("", "cloud", Some("".into()), 7),
        PathBuf::from("/tmp/airgui-7/cloud.ipc")
    );
}

#[test]
fn keyboard_names_must_be_xkb_names() {
    let bad = Config::from_overlay(Some("[keyboard]\nlayout = \"us\\u0000\"\n"));
    assert!(matches!(bad, Err(ConfigError::Invalid { ref key, .. }) if key == "keyboard.layout"));
    let bad = Config::from_overlay(Some("[keyboard]\noptions = \"caps escape\"\n"));
    assert!(matches!(bad, Err(ConfigError::Invalid { ref key, .. }) if key == "keyboard.options"));
    let good = Config::from_overlay(Some(
        "[keyboard]\nlayout = \"de\"\noptions = \"caps:escape\"\n",
    ));
    assert!(good.is_ok());
    let bad = Config::from_overlay(Some("[keyboard]\nrepeat_rate_hz = 5000\n"));
    assert!(
        matches!(bad, Err(ConfigError::Invalid { ref key, .. }) if key == "keyboard.repeat_rate_hz")
    );
}

#[test]
fn renderer_is_auto_unless_set_and_names_the_key_when_wrong() {
    let c = Config::from_overlay(None).unwrap();
    assert_eq!(c.output.renderer, RendererSetting::Auto);
    assert!(c.output.screens.is_empty());
    for (text, setting) in [
        ("auto", RendererSetting::Auto),
        ("gles", RendererSetting::Gles),
        ("pixman", RendererSetting::Pixman),
    ] {
        let c = ok(&format!("[output]\nrenderer = \"{text}\"\n"));
        assert_eq!(c.output.renderer, setting);
    }
    let e = err("[output]\nrenderer = \"vulkan\"\n");
    assert!(e.contains("output.renderer"), "{e}");
    assert!(e.contains("pixman"), "{e}");
}

#[test]
fn the_commented_screen_example_is_valid() {
    let start = DEFAULTS.find("# [[output.screen]]").unwrap();
    let example: String = DEFAULTS[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let c = ok(&example);
    assert_eq!(
        c.output.screens,
        [
            ScreenPlacement {
                connector: "HDMI-A-1".into(),
                x: 0,
                y: 0
            },
            ScreenPlacement {
                connector: "DP-1".into(),
                x: 1920,
                y: 0
            }
        ]
    );
}

#[test]
fn screen_placements_are_checked() {
    let screen = |connector: &str, x: u32, y: u32| {
        format!("[[output.screen]]\nconnector = \"{connector}\"\nx = {x}\ny = {y}\n")
    };
    let e = err(&screen("", 0, 0));
    assert!(e.contains("output.screen[0].connector"), "{e}");
    let e = err(&screen("HDMI A", 0, 0));
    assert!(e.contains("output.screen[0].connector"), "{e}");
    let e = err(&format!(
        "{}{}",
        screen("DP-1", 0, 0),
        screen("DP-1", 1920, 0)
    ));
    assert!(e.contains("output.screen[1].connector"), "{e}");
    assert!(e.contains("output.screen[0]"), "{e}");
    let e = err(&screen("DP-1", 16384, 0));
    assert!(e.contains("output.screen[0].x"), "{e}");
    let e = err(&screen("DP-1", 0, 6144));
    assert!(e.contains("output.screen[0].y"), "{e}");
    let e = err("[[output.screen]]\nconnector = \"DP-1\"\nx = 0\n");
    assert!(e.contains("output.screen[0]"), "{e}");
    let e = err("[[output.screen]]\nconnector = \"DP-1\"\nx = 0\ny = 0\nscale = 2\n");
    assert!(e.contains("scale"), "{e}");
    let c = ok(&screen("DP-1", 16383, 6143));
    assert_eq!(c.output.screens.len(), 1);
}
