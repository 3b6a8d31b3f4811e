using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Base of every block in this library's encoders: children are fields named exactly as the Hugging Face modules, so
/// <c>state_dict</c> keys equal the checkpoint's (and PEFT's) keys; fine-tuning methods swap a child in place by name.
/// </summary>
internal abstract class NamedModule : nn.Module
{
    /// <summary>Creates the module; derived constructors call <c>RegisterComponents()</c> once their fields are set.</summary>
    protected NamedModule(string name) : base(name) { }

    /// <summary>Replaces the child called <paramref name="name"/> (e.g. a <c>Linear</c> by a LoRA linear), keeping its name.</summary>
    /// <exception cref="ArgumentException">No such child, or the replacement does not fit the slot's type.</exception>
    public void ReplaceChild(string name, nn.Module replacement)
    {
        var field = FindField(name)
            ?? throw new ArgumentException($"{GetType().Name} has no child module '{name}'.", nameof(name));
        if (!field.FieldType.IsInstanceOfType(replacement))
            throw new ArgumentException($"Cannot put a {replacement.GetType().Name} into {GetType().Name}.{name}: expected {field.FieldType.Name}.", nameof(replacement));
        field.SetValue(this, replacement);
        register_module(name, null!);   // TorchSharp removes a child when given null ...
        register_module(name, replacement);   // ... and refuses to overwrite one.
    }

    private FieldInfo? FindField(string name)
    {
        for (var t = GetType(); t != null && t != typeof(NamedModule); t = t.BaseType)
        {
            var f = t.GetField(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            if (f != null && typeof(nn.Module).IsAssignableFrom(f.FieldType)) return f;
        }
        return null;
    }
}
