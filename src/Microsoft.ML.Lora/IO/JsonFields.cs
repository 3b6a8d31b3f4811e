using System.Globalization;
using System.Text.Json;

namespace Microsoft.ML.Lora.IO;

/// <summary>
/// Typed reading of one JSON object of a named file (<c>config.json</c>, <c>adapter_config.json</c>, tokenizer files, ...).
/// A key that is absent or <c>null</c> reads as null, so the caller supplies the format's default; a key whose value has the
/// wrong JSON type or is out of range is an <see cref="InvalidDataException"/> naming the file, the key, what was found and
/// what was expected — never a silent default.
/// </summary>
internal readonly struct JsonFields
{
    /// <summary>The largest JSON file read: far above any real config or tokenizer (tokenizer.json of a 250k vocabulary is ~17 MB).</summary>
    public const long MaxFileBytes = 64L << 20;

    private readonly JsonElement obj;
    private readonly string prefix;

    private JsonFields(JsonElement obj, string source, string prefix)
    {
        this.obj = obj;
        Source = source;
        this.prefix = prefix;
    }

    /// <summary>Names the file in errors.</summary>
    public string Source { get; }

    /// <summary>The underlying object.</summary>
    public JsonElement Element => obj;

    /// <summary>Parses <paramref name="json"/> (the text of <paramref name="source"/>) and returns its root object.</summary>
    public static JsonFields Parse(string json, string source)
    {
        if (json.Length > MaxFileBytes) throw new InvalidDataException($"{source}: {json.Length:N0} characters is beyond the {MaxFileBytes >> 20} MiB a JSON settings file may have.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e); }
        // The clone outlives the document (whose pooled buffers are returned on dispose).
        using (doc) return FromObject(doc.RootElement.Clone(), source);
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>, refusing files beyond <see cref="MaxFileBytes"/> before reading them.</summary>
    public static JsonFields Load(string path) => Parse(ReadAllText(path), path);

    /// <summary>The text of the JSON file at <paramref name="path"/>, refusing files beyond <see cref="MaxFileBytes"/> before reading them.</summary>
    public static string ReadAllText(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes) throw new InvalidDataException($"{path}: {length:N0} bytes is beyond the {MaxFileBytes >> 20} MiB a JSON settings file may have.");
        return File.ReadAllText(path);
    }

    /// <summary>Wraps an element that must be an object.</summary>
    public static JsonFields FromObject(JsonElement element, string source, string what = "the document", string prefix = "")
        => element.ValueKind == JsonValueKind.Object
            ? new JsonFields(element, source, prefix)
            : throw new InvalidDataException($"{source}: {what} is a JSON {Kind(element)}; expected an object.");

    /// <summary>True when <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The value of <paramref name="key"/>, or null when absent or null.</summary>
    public JsonElement? Raw(string key) => obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string key) => Raw(key) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, v, "a string")
        : null;

    public bool? Bool(string key) => Raw(key) is { } v
        ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Wrong(key, v, "true or false") }
        : null;

    /// <summary>An integer (a JSON number with no fraction, e.g. <c>8</c> or <c>8.0</c>) in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue) => Raw(key) is { } v ? ToInt(key, v, min, max) : null;

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>] (or [min, max) when <paramref name="maxExclusive"/>).</summary>
    public double? Number(string key, double min = double.MinValue, double max = double.MaxValue, bool maxExclusive = false)
    {
        if (Raw(key) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d)) throw Wrong(key, v, "a number");
        if (d < min || d > max || (maxExclusive && d == max))
            throw Wrong(key, v, max == double.MaxValue ? string.Create(CultureInfo.InvariantCulture, $"a number of at least {min}")
                : string.Create(CultureInfo.InvariantCulture, $"a number in [{min}, {max}{(maxExclusive ? ")" : "]")}"));
        return d;
    }

    /// <summary>A finite number above zero.</summary>
    public double? Positive(string key)
    {
        if (Number(key) is not { } d) return null;
        return d > 0 ? d : throw Wrong(key, Raw(key)!.Value, "a positive number");
    }

    public int RequiredInt(string key, int min = int.MinValue, int max = int.MaxValue)
        => Int(key, min, max) ?? throw Missing(key, "an integer");

    public string RequiredString(string key) => String(key) ?? throw Missing(key, "a string");

    /// <summary>A list of strings (each a JSON string).</summary>
    public List<string>? Strings(string key)
    {
        if (Raw(key) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, v, "a list of strings");
        var result = new List<string>(v.GetArrayLength());
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Wrong($"{key}[{i}]", item, "a string");
            result.Add(item.GetString()!);
            i++;
        }
        return result;
    }

    /// <summary>A list of integers in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public List<int>? Ints(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Raw(key) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, v, "a list of integers");
        var result = new List<int>(v.GetArrayLength());
        int i = 0;
        foreach (var item in v.EnumerateArray()) result.Add(ToInt($"{key}[{i++}]", item, min, max));
        return result;
    }

    /// <summary>A nested object, whose errors name it as <c>key.inner</c>.</summary>
    public JsonFields? Object(string key)
    {
        if (Raw(key) is not { } v) return null;
        return v.ValueKind == JsonValueKind.Object ? new JsonFields(v, Source, prefix + key + ".") : throw Wrong(key, v, "an object");
    }

    /// <summary>An error for <paramref name="key"/> whose value <paramref name="found"/> is not <paramref name="expected"/>.</summary>
    public InvalidDataException Wrong(string key, JsonElement found, string expected)
        => new($"{Source}: \"{prefix}{key}\" is {Describe(found)}; expected {expected}.");

    public InvalidDataException Missing(string key, string expected) => new($"{Source}: \"{prefix}{key}\" is missing; expected {expected}.");

    private int ToInt(string key, JsonElement v, int min, int max)
    {
        if (v.ValueKind != JsonValueKind.Number) throw Wrong(key, v, "an integer");
        if (!v.TryGetInt32(out int n))
        {
            // 8.0 is an integer written by a float-typed writer; 8.5 and 1e30 are not integers of int range.
            if (!v.TryGetDouble(out double d) || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue) throw Wrong(key, v, "an integer");
            n = (int)d;
        }
        if (n < min || n > max)
            throw Wrong(key, v, max == int.MaxValue ? $"an integer of at least {min}" : $"an integer between {min} and {max}");
        return n;
    }

    private static string Describe(JsonElement v)
    {
        var raw = v.GetRawText();
        if (raw.Length > 60) raw = raw[..57] + "...";
        return $"{raw} (a JSON {Kind(v)})";
    }

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };
}
