//! Hostile or careless input: errors that would echo a secret, values resolved through a
//! config provider, and inputs too large to handle. Each case must fail (or print) cleanly,
//! naming file, line and key, and never show the secret marker.

use std::collections::BTreeMap;
use std::fs;

use strait_config::{Env, LoadOptions, MirrorConfig, parse_mm2_properties};

/// Every secret of these tests contains this; no error or summary may show it.
const MARKER: &str = "Xq7MARKERsecret";

const HEAD: &str = "clusters = A, B\nA.bootstrap.servers = a:9092\nB.bootstrap.servers = b:9092\n";

fn load(text: &str, options: &LoadOptions) -> Result<MirrorConfig, String> {
    parse_mm2_properties(text, "mm2.properties", options).map_err(|e| e.to_string())
}

fn with_env(vars: &[(&str, &str)]) -> LoadOptions {
    let map: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    LoadOptions {
        env: Env::Map(map),
        ..LoadOptions::default()
    }
}

#[test]
fn jaas_error_never_echoes_an_unquoted_password() {
    for jaas in [
        format!("x.PlainLoginModule required username=u password=ab {MARKER};"),
        format!("x.PlainLoginModule required username=u password=ab {MARKER}=;"),
        format!("x.PlainLoginModule required username=u password=ab= {MARKER};"),
        format!("x.PlainLoginModule required username=u password={MARKER} x"),
    ] {
        let text = format!(
            "{HEAD}B.security.protocol = SASL_PLAINTEXT\nB.sasl.mechanism = PLAIN\n\
             B.sasl.jaas.config = {jaas}\n"
        );
        let err = load(&text, &LoadOptions::default()).expect_err(&jaas);
        assert!(
            err.starts_with("mm2.properties:6: `B.sasl.jaas.config`"),
            "{err}"
        );
        assert!(err.contains("character"), "{err}");
        assert!(!err.contains("MARKER"), "secret fragment echoed: {err}");
    }
}

#[test]
fn provider_values_are_redacted_whatever_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vault.properties");
    fs::write(&file, format!("opaque={MARKER}-file\n")).expect("write");
    let sub = dir.path().join("dir");
    fs::create_dir(&sub).expect("mkdir");
    fs::write(sub.join("entry"), format!("{MARKER}-directory")).expect("write");
    let text = format!(
        "config.providers = file, env, directory\n\
         config.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider\n\
         config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n\
         config.providers.directory.class = \
         org.apache.kafka.common.config.provider.DirectoryConfigProvider\n\
         {HEAD}A->B.enabled = true\n\
         A.consumer.client.rack = ${{file:{}:opaque}}\n\
         A.producer.client.id = ${{env:PLAIN_NAME}}\n\
         A.admin.client.id = prefix-${{directory:{}:entry}}\n",
        file.display(),
        sub.display()
    );
    let c = load(
        &text,
        &with_env(&[("PLAIN_NAME", &format!("{MARKER}-env"))]),
    )
    .expect("loads");
    let summary = c.summary();
    let shown = format!("{summary}\n{}", summary.to_json());
    assert!(!shown.contains("MARKER"), "provider value shown:\n{shown}");
    assert!(shown.contains("client.rack"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    // The model still carries the resolved values.
    assert_eq!(
        c.clusters["A"].consumer["client.rack"].expose(),
        format!("{MARKER}-file")
    );
}
