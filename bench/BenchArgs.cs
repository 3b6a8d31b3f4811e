using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// A bench command's <c>--name value</c> options and bare <c>--flag</c>s (lists comma-separated), and the child-process
/// arguments that pass some of them on.
/// </summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> values;
    private readonly string usage;

    private BenchArgs(Dictionary<string, string> values, string usage)
    {
        this.values = values;
        this.usage = usage;
    }

    /// <summary>
    /// Parses <c>--name value</c> pairs and bare <c>--flag</c>s (an option followed by another option or by nothing);
    /// <paramref name="usage"/> lists the options in the error message.
    /// </summary>
    public static BenchArgs Parse(string[] args, string usage)
    {
        var result = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Expected '--name value' pairs or '--flag's, got '{args[i]}' in '{string.Join(' ', args)}'. Options: {usage}.");
            bool flag = i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
            result[args[i][2..]] = flag ? FlagValue : args[++i];
        }
        return new BenchArgs(result, usage);
    }

    private const string FlagValue = "true";

    /// <summary>Whether the bare flag <c>--<paramref name="name"/></c> was given.</summary>
    public bool Flag(string name) => values.TryGetValue(name, out var v) && v == FlagValue;

    public bool Has(string name) => values.ContainsKey(name);

    public string? String(string name) => values.GetValueOrDefault(name);

    public int? Int(string name) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    public double? Double(string name) => values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public bool? Bool(string name) => values.TryGetValue(name, out var v) ? bool.Parse(v) : null;

    /// <summary>A comma-separated list, or <paramref name="fallback"/> when the option is absent.</summary>
    public string[] Strings(string name, params string[] fallback) => values.TryGetValue(name, out var v)
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : fallback;

    /// <summary>A comma-separated list of positive integers, or <paramref name="fallback"/> when the option is absent.</summary>
    public int[] Ints(string name, params int[] fallback) => values.ContainsKey(name)
        ? Strings(name).Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new ArgumentException($"--{name} expects positive integers, got '{s}'. Options: {usage}.")).ToArray()
        : fallback;

    /// <summary>The bench spelling of a precision: <c>fp32</c> or <c>bf16</c>.</summary>
    public static Precision ParsePrecision(string text) => text switch
    {
        "fp32" => Precision.Float32,
        "bf16" => Precision.BFloat16,
        _ => throw new ArgumentException($"A precision is fp32 or bf16, got '{text}'."),
    };

    /// <summary>A checkpointing mode as benches pass it to their child processes and print it: "-", "attention" or "layers".</summary>
    public static GradientCheckpointing ParseCheckpointing(string text) => text switch
    {
        "-" => GradientCheckpointing.None,
        "attention" => GradientCheckpointing.Attention,
        "layers" => GradientCheckpointing.Layers,
        _ => throw new ArgumentException($"A checkpointing mode is -, attention or layers, got '{text}'."),
    };

    /// <summary>The inverse of <see cref="ParseCheckpointing"/>.</summary>
    public static string Name(GradientCheckpointing mode) => mode == GradientCheckpointing.None ? "-" : mode.ToString().ToLowerInvariant();

    /// <summary>The given options among <paramref name="names"/>, as arguments for a child process.</summary>
    public IEnumerable<string> Forward(params string[] names)
        => names.Where(values.ContainsKey).SelectMany(n => new[] { "--" + n, values[n] });

    public override string ToString() => usage;
}
