using System.Globalization;
using Microsoft.ML.Lora;

namespace Samples.Common;

/// <summary>
/// <c>--name value</c> (or <c>--name=value</c>) options and <c>--flag</c> switches, checked against the names a sample
/// declares; anything else is a <see cref="UsageException"/> naming the offending argument.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> given = new(StringComparer.Ordinal);

    private CommandLine() { }

    /// <summary>True when <c>--help</c> or <c>-h</c> was given.</summary>
    public bool HelpRequested { get; private init; }

    /// <summary>
    /// Parses <paramref name="args"/>; <paramref name="valueOptions"/> take a value, <paramref name="flags"/> do not, and
    /// <paramref name="optionalValues"/> take one when the next argument is not an option (names without dashes).
    /// </summary>
    public static CommandLine Parse(string[] args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string>? flags = null,
        IReadOnlyCollection<string>? optionalValues = null)
    {
        flags ??= Array.Empty<string>();
        optionalValues ??= Array.Empty<string>();
        bool help = args.Any(a => a is "--help" or "-h" or "-?");
        var result = new CommandLine { HelpRequested = help };
        for (int i = 0; i < args.Length && !help; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}': options start with -- (see --help)");
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) (name, value) = (name[..eq], name[(eq + 1)..]);
            if (result.given.ContainsKey(name)) throw new UsageException($"option --{name} is given twice");
            if (flags.Contains(name))
            {
                if (value is not null) throw new UsageException($"option --{name} takes no value");
            }
            else if (optionalValues.Contains(name))
            {
                if (value is null && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
            }
            else if (valueOptions.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        throw new UsageException($"option --{name} needs a value");
                    value = args[++i];
                }
            }
            else throw new UsageException($"unknown option '--{name}' (see --help)");
            result.given[name] = value;
        }
        return result;
    }

    /// <summary>True when the switch or option was given.</summary>
    public bool Has(string name) => given.ContainsKey(name);

    /// <summary>The option's value, or null when it was not given.</summary>
    public string? String(string name) => given.TryGetValue(name, out var v) ? v : null;

    /// <summary>The option's value as a path to an existing file, or null when it was not given.</summary>
    public string? ExistingFile(string name)
    {
        if (String(name) is not { } path) return null;
        if (!File.Exists(path)) throw new UsageException($"--{name}: file not found: {Path.GetFullPath(path)}");
        return Path.GetFullPath(path);
    }

    /// <summary>The option's value as a path to an existing folder, or null when it was not given.</summary>
    public string? ExistingFolder(string name)
    {
        if (String(name) is not { } path) return null;
        if (!Directory.Exists(path)) throw new UsageException($"--{name}: folder not found: {Path.GetFullPath(path)}");
        return Path.GetFullPath(path);
    }

    /// <summary>The option's value as an integer of at least <paramref name="min"/>, or null when it was not given.</summary>
    public int? Int(string name, int min)
    {
        if (String(name) is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min)
            throw new UsageException($"--{name} must be an integer of at least {min}, got '{text}'");
        return v;
    }

    /// <summary>The option's value as a number in (0, <paramref name="max"/>], or null when it was not given.</summary>
    public double? Double(string name, double max = double.MaxValue)
    {
        if (String(name) is not { } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || v > max)
            throw new UsageException($"--{name} must be a number in (0, {max.ToString(CultureInfo.InvariantCulture)}], got '{text}'");
        return v;
    }

    /// <summary>The option's value as <c>cpu</c>, <c>cuda</c> or <c>auto</c>; <see cref="ComputeDevice.Auto"/> when not given.</summary>
    public ComputeDevice Device(string name) => String(name)?.ToLowerInvariant() switch
    {
        null or "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        var other => throw new UsageException($"--{name} must be cpu, cuda or auto, got '{other}'"),
    };

    /// <summary>A number format: bf16 (mixed bfloat16, the samples' default) or fp32.</summary>
    public Precision Precision(string name) => String(name)?.ToLowerInvariant() switch
    {
        null or "bf16" or "bfloat16" => Microsoft.ML.Lora.Precision.BFloat16,
        "fp32" or "float32" => Microsoft.ML.Lora.Precision.Float32,
        var other => throw new UsageException($"--{name} must be bf16 or fp32, got '{other}'"),
    };
}
