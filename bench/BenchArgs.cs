using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Options of a bench command: <c>--name value</c> pairs and bare <c>--flag</c>s; lists are comma-separated.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected an option (--name), got '{args[i]}'.");
            bool hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            values[args[i][2..]] = hasValue ? args[++i] : null;
        }
    }

    public bool Flag(string name) => values.ContainsKey(name);

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v)
        ? int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--{name} expects a positive integer, got '{v}'.")
        : fallback;

    public string[] Strings(string name, params string[] fallback) => values.TryGetValue(name, out var v)
        ? (v ?? throw new ArgumentException($"--{name} needs a value.")).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : fallback;

    public int[] Ints(string name, params int[] fallback) => values.ContainsKey(name)
        ? Strings(name).Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--{name} expects positive integers, got '{s}'.")).ToArray()
        : fallback;

    /// <summary>The bench spelling of a precision: <c>fp32</c> or <c>bf16</c>.</summary>
    public static Precision ParsePrecision(string text) => text switch
    {
        "fp32" => Precision.Float32,
        "bf16" => Precision.BFloat16,
        _ => throw new ArgumentException($"A precision is fp32 or bf16, got '{text}'."),
    };
}
