using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Runs one configuration in a fresh process (so peak RSS is that configuration's alone) and reads its JSON result line.</summary>
internal static class ChildRun
{
    public static JsonObject Bench(params string[] args) =>
        Run(Environment.ProcessPath!, ExecArgs(BenchEnvironment.DataFolder is { } data ? [.. args, "--data", data] : args), null);

    public static JsonObject? Python(string script, IDictionary<string, string> env, params string[] args)
    {
        if (!File.Exists("/usr/bin/python3")) return null;
        try { return Run("/usr/bin/python3", new[] { script }.Concat(args).ToArray(), env); }
        catch (InvalidOperationException e) { Console.WriteLine($"PyTorch reference failed: {e.Message}"); return null; }
    }

    private static string[] ExecArgs(string[] args)
    {
        // Under `dotnet run` the process is the apphost; under `dotnet bench.dll` it is dotnet itself.
        var self = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new[] { typeof(ChildRun).Assembly.Location }.Concat(args).ToArray()
            : args;
    }

    private static JsonObject Run(string file, string[] args, IDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string? last = null;
        while (p.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith('{')) last = line;
            else Console.WriteLine("  | " + line);
        }
        p.WaitForExit();
        if (p.ExitCode != 0 || last is null)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}");
        return JsonNode.Parse(last)!.AsObject();
    }
}
