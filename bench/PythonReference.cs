using System.Globalization;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Bench;

/// <summary>The PyTorch reference script (bench/python/train_step_reference.py) on Debian's python3-torch with MKL.</summary>
internal sealed class PythonReference
{
    private readonly string script;
    private readonly Dictionary<string, string> env;
    private readonly int threads;

    private PythonReference(string script, Dictionary<string, string> env, int threads) => (this.script, this.env, this.threads) = (script, env, threads);

    /// <summary>The reference, or null (with a line saying why) when python3 is missing.</summary>
    public static PythonReference? Find(int threads)
    {
        var script = Path.Combine(BenchEnvironment.RepoRoot, "bench", "python", "train_step_reference.py");
        var mkl = Path.Combine(BenchEnvironment.RepoRoot, "bench", ".mkl");
        if (!File.Exists("/usr/bin/python3")) { Console.WriteLine("No /usr/bin/python3: the PyTorch columns stay empty."); return null; }
        if (!Directory.Exists(mkl)) Console.WriteLine("bench/.mkl missing: run bench/setup-python-reference.sh for the MKL-backed PyTorch reference.");
        var t = threads.ToString(CultureInfo.InvariantCulture);
        return new PythonReference(script, new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = mkl, ["MKL_THREADING_LAYER"] = "GNU", ["OMP_NUM_THREADS"] = t }, threads);
    }

    /// <summary>Runs the script with <paramref name="args"/> (and the thread count); null when it fails (the reason is printed).</summary>
    public JsonObject? Run(params string[] args)
        => ChildRun.Python(script, env, args.Concat(new[] { "--threads", threads.ToString(CultureInfo.InvariantCulture) }).ToArray());
}
