using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Model;

/// <summary>
/// Reads a model config JSON with open_clip's meaning (src/open_clip/model.py CLIPVisionCfg / CLIPTextCfg, the
/// model_configs/ViT-*.json files as published): missing keys take open_clip's defaults (vision pool 'tok', text
/// pool 'argmax', text heads 8, mlp_ratio 4, init_logit_scale log(1/0.07)); vision heads = width / head_width
/// (head_width 64) unless our own "heads" is given. Keys that change the architecture in ways this model does not
/// implement (timm or Hugging Face towers, layer scale, attentional pooling, SigLIP's logit bias, …) are refused
/// unless they hold open_clip's default; keys open_clip does not know are refused. Every error names the key.
/// Ours on top of open_clip: "name", "max_logit_scale", vision "heads", text pool_type "mean"/"avg".
/// </summary>
public static class ModelConfigJson
{
    private static readonly HashSet<string> TopKeys =
    [
        "name", "embed_dim", "vision_cfg", "text_cfg", "quick_gelu", "init_logit_scale", "max_logit_scale",
        "custom_text", "init_logit_bias", "multimodal_cfg",
    ];

    private static readonly HashSet<string> VisionKeys =
    [
        "image_size", "patch_size", "width", "layers", "heads", "head_width", "mlp_ratio", "pool_type",
        "output_tokens", "ls_init_value", "patch_dropout", "attentional_pool", "attn_pooler_queries",
        "attn_pooler_heads", "no_ln_pre", "pos_embed_type", "final_ln_after_pool", "act_kwargs", "norm_kwargs",
        "block_type", "qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc",
        "timm_model_name", "timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias", "timm_drop",
        "timm_drop_path", "timm_model_kwargs", "image_seq_len",
    ];

    private static readonly HashSet<string> TextKeys =
    [
        "context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "pool_type", "eos_id", "pad_id",
        "proj_bias", "proj_type", "output_tokens", "ls_init_value", "embed_cls", "no_causal_mask",
        "final_ln_after_pool", "act_kwargs", "norm_kwargs", "block_type", "qk_norm", "scaled_cosine_attn",
        "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc", "text_arch", "variable_text",
        "hf_tokenizer_name", "tokenizer_mode", "tokenizer_kwargs", "bos_id", "tokenizer_type", "tiktoken_name",
        "hf_model_name", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "hf_model_config",
    ];

    /// <summary>Architecture keys accepted only at open_clip's default value (null: absent or JSON null).</summary>
    private static readonly (string Key, object? Default, string Why)[] TopDefaults =
    [
        ("custom_text", false, "custom text towers"), ("init_logit_bias", null, "SigLIP's logit bias"),
        ("multimodal_cfg", null, "CoCa's decoder"),
    ];

    private static readonly (string Key, object? Default, string Why)[] VisionDefaults =
    [
        ("ls_init_value", null, "layer scale"), ("patch_dropout", 0.0, "patch dropout (use --loss flip)"),
        ("attentional_pool", false, "attentional pooling"), ("no_ln_pre", false, "a tower without ln_pre"),
        ("pos_embed_type", "learnable", "fixed positional embeddings"),
        ("final_ln_after_pool", false, "LayerNorm after pooling"), ("act_kwargs", null, "activation arguments"),
        ("norm_kwargs", null, "LayerNorm arguments"), ("block_type", null, "custom blocks"),
        ("qk_norm", false, "q/k LayerNorm"), ("scaled_cosine_attn", false, "cosine attention"),
        ("scale_heads", false, "head scales"), ("scale_attn_inner", false, "inner attention LayerNorm"),
        ("scale_attn", false, "attention LayerNorm"), ("scale_fc", false, "MLP LayerNorm"),
        ("timm_model_name", null, "timm image towers"), ("image_seq_len", null, "NaFlex sequences"),
    ];

    private static readonly (string Key, object? Default, string Why)[] TextDefaults =
    [
        ("proj_type", "linear", "a text tower without a linear projection"), ("ls_init_value", null, "layer scale"),
        ("embed_cls", false, "CoCa's class token"), ("no_causal_mask", false, "a bidirectional text tower"),
        ("final_ln_after_pool", false, "LayerNorm after pooling"), ("act_kwargs", null, "activation arguments"),
        ("norm_kwargs", null, "LayerNorm arguments"), ("block_type", null, "custom blocks"),
        ("qk_norm", false, "q/k LayerNorm"), ("scaled_cosine_attn", false, "cosine attention"),
        ("scale_heads", false, "head scales"), ("scale_attn_inner", false, "inner attention LayerNorm"),
        ("scale_attn", false, "attention LayerNorm"), ("scale_fc", false, "MLP LayerNorm"),
        ("text_arch", "clip", "other text architectures"), ("variable_text", false, "variable-length text"),
        ("hf_model_name", null, "Hugging Face text towers"),
        ("hf_tokenizer_name", null, "Hugging Face tokenizers (only gpt2 and CLIP's BPE are built in)"),
        ("tokenizer_kwargs", null, "tokenizer arguments"), ("tokenizer_mode", null, "tokenizer modes"),
        ("bos_id", null, "a begin token id"), ("tokenizer_type", "", "other tokenizers"),
    ];

    /// <summary>Parses a config JSON; <paramref name="source"/> names it in errors (ArgumentException).</summary>
    public static ClipConfig Parse(string json, string source)
    {
        try
        {
            return ParseObject(json, source);
        }
        catch (ArgumentException e) when (!e.Message.StartsWith("model config ", StringComparison.Ordinal))
        {
            // System.Text.Json reports a key given twice only when the object is read.
            throw new ArgumentException($"model config {source}: {e.Message}", e);
        }
    }

    private static ClipConfig ParseObject(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new ArgumentException($"model config {source}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"model config {source}: not valid JSON ({e.Message})", e);
        }
        var top = new Section(source, root, "", TopKeys, TopDefaults);
        var v = new Section(source, top.Obj("vision_cfg"), "vision_cfg.", VisionKeys, VisionDefaults);
        var t = new Section(source, top.Obj("text_cfg"), "text_cfg.", TextKeys, TextDefaults);

        var width = v.Int("width", 768);
        var headWidth = v.Int("head_width", 64);
        if (!v.Has("heads") && (headWidth <= 0 || width % headWidth != 0))
            throw v.Error($"vision_cfg.width {width} is not a multiple of head_width {headWidth}");
        var heads = v.Int("heads", headWidth > 0 ? width / headWidth : 0);
        if (v.Has("heads") && v.Has("head_width") && heads * headWidth != width)
            throw v.Error($"vision_cfg.heads {heads} and head_width {headWidth} disagree with width {width}");
        var vision = new VisionConfig(v.Int("image_size", 224), v.Int("patch_size", 16), width, v.Int("layers", 12),
            heads, v.Dbl("mlp_ratio", 4.0), VisionPool(v));

        var vocab = t.Int("vocab_size", 49408);
        var (textPool, eosRequired) = TextPool(t);
        if (eosRequired && !t.Has("eos_id"))
            throw t.Error("text_cfg.pool_type 'eos' needs text_cfg.eos_id (the tokenizer's end token)");
        // open_clip's 'argmax' pools the largest id: CLIP's end token, the last id of its vocabulary.
        var text = new TextConfig(t.Int("context_length", 77), vocab, t.Int("width", 512), t.Int("layers", 12),
            t.Int("heads", 8), t.Dbl("mlp_ratio", 4.0), textPool, t.Int("eos_id", vocab - 1),
            t.Bool("proj_bias", false));

        var name = root["name"] is JsonValue n && n.TryGetValue<string>(out var s)
            ? s : Path.GetFileNameWithoutExtension(source);
        return new ClipConfig(name, top.Int("embed_dim", null), vision, text,
            Math.Exp(top.Dbl("init_logit_scale", Math.Log(1 / 0.07))), top.Dbl("max_logit_scale", 100.0),
            top.Bool("quick_gelu", false)).Validate();
    }

    private static Pooling VisionPool(Section v) => v.Str("pool_type", "tok") switch
    {
        "tok" => Pooling.Token,
        "avg" => Pooling.Average,
        var other => throw v.Error($"vision_cfg.pool_type '{other}' is not a pooling type: expected tok or avg"),
    };

    private static (Pooling, bool EosRequired) TextPool(Section t) => t.Str("pool_type", "argmax") switch
    {
        "argmax" => (Pooling.Token, false),
        "eos" => (Pooling.Token, true),
        "first" => (Pooling.First, false),
        "last" => (Pooling.Last, false),
        "mean" or "avg" => (Pooling.Average, false),
        var other => throw t.Error(
            $"text_cfg.pool_type '{other}' is not a pooling type: expected argmax, eos, first, last or mean"),
    };

    /// <summary>One object of the config (top level, vision_cfg, text_cfg): its keys checked on construction, typed
    /// access to its members with errors that name the config and the key.</summary>
    private sealed class Section
    {
        private readonly string _source, _prefix;
        private readonly JsonObject _o;

        public Section(string source, JsonObject o, string prefix, HashSet<string> keys,
                       (string, object?, string)[] defaults)
        {
            (_source, _o, _prefix) = (source, o, prefix);
            foreach (var (key, _) in o)
                if (!keys.Contains(key))
                    throw Error($"unknown key '{prefix}{key}' (not one of open_clip's model config keys)");
            foreach (var (key, def, why) in defaults)
            {
                var node = o[key];
                if (node is null || Same(node, def)) continue;
                var allowed = def is null ? "null" : JsonSerializer.Serialize(def);
                throw Error($"{prefix}{key} = {node.ToJsonString()} is not supported ({why}; only {allowed})");
            }
        }

        public ArgumentException Error(string what) => new($"model config {_source}: {what}");

        public bool Has(string key) => _o[key] is not null;

        public JsonObject Obj(string key) => _o[key] as JsonObject ?? throw Error($"missing object '{_prefix}{key}'");

        public int Int(string key, int? fallback) =>
            _o[key] is null ? fallback ?? throw Error($"missing '{_prefix}{key}'")
            : _o[key] is JsonValue x && x.TryGetValue<int>(out var i) ? i : throw Bad(key, "an integer");

        public double Dbl(string key, double fallback) =>
            _o[key] is null ? fallback
            : _o[key] is JsonValue x && x.TryGetValue<double>(out var d) ? d : throw Bad(key, "a number");

        public bool Bool(string key, bool fallback) =>
            _o[key] is null ? fallback
            : _o[key] is JsonValue x && x.TryGetValue<bool>(out var b) ? b : throw Bad(key, "true or false");

        public string Str(string key, string fallback) =>
            _o[key] is null ? fallback
            : _o[key] is JsonValue x && x.TryGetValue<string>(out var s) ? s : throw Bad(key, "a string");

        private ArgumentException Bad(string key, string what) =>
            Error($"'{_prefix}{key}' must be {what}, got {_o[key]!.ToJsonString()}");

        private static bool Same(JsonNode node, object? def) => def switch
        {
            null => false,
            bool b => node is JsonValue x && x.TryGetValue<bool>(out var y) && y == b,
            double d => node is JsonValue x && x.TryGetValue<double>(out var y) && y == d,
            string s => node is JsonValue x && x.TryGetValue<string>(out var y) && y == s,
            _ => false,
        };
    }
}
