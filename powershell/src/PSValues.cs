using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>Reading and writing members of user objects the way PowerShell's $x.Name does.</summary>
    internal static class PSValues
    {
        /// <summary>
        /// $target.Name: a dictionary's key (hashtables, as in hand-made sessions), else a property
        /// (note, adapted or .NET); null when there is none (PowerShell outside strict mode).
        /// </summary>
        internal static object? Get(object? target, string name)
        {
            if (target == null)
            {
                return null;
            }
            var wrapped = target as PSObject;
            object value = wrapped != null ? wrapped.BaseObject : target;
            if (value is IDictionary dictionary)
            {
                try
                {
                    if (dictionary.Contains(name))
                    {
                        return dictionary[name];
                    }
                }
                catch (ArgumentException)
                {
                    // A dictionary whose keys are not strings: fall back to its properties.
                }
                catch (InvalidCastException)
                {
                }
            }
            PSPropertyInfo? property = (wrapped ?? PSObject.AsPSObject(target)).Properties[name];
            return property?.Value;
        }

        /// <summary>$target.Name = value, or $target['Name'] = value for a dictionary; adds a note property when missing.</summary>
        internal static void Set(object target, string name, object value)
        {
            var wrapped = target as PSObject;
            object inner = wrapped != null ? wrapped.BaseObject : target;
            if (inner is IDictionary dictionary)
            {
                dictionary[name] = value;
                return;
            }
            PSObject item = wrapped ?? PSObject.AsPSObject(target);
            PSPropertyInfo? property = item.Properties[name];
            if (property != null)
            {
                property.Value = value;
            }
            else
            {
                item.Properties.Add(new PSNoteProperty(name, value));
            }
        }

        /// <summary>[string]$value: "" for null, PowerShell's conversion (invariant culture) otherwise.</summary>
        internal static string ToText(object? value)
        {
            if (value == null)
            {
                return "";
            }
            if (value is string text)
            {
                return text;
            }
            if (value is PSObject wrapped && wrapped.BaseObject is string inner)
            {
                return inner;
            }
            return (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// An integer as ConvertFrom-Json gives it to the originals' callers: Int64 in PowerShell 7
        /// (Newtonsoft.Json / System.Text.Json), Int32 when it fits in Windows PowerShell 5.1
        /// (JavaScriptSerializer).
        /// </summary>
        internal static object JsonInteger(long value) =>
            Runtime.IsNetFramework && value >= int.MinValue && value <= int.MaxValue ? (object)(int)value : value;

        /// <summary>The object under a PSObject wrapper (what -is and .GetType() see).</summary>
        internal static object Unwrap(object value) => value is PSObject wrapped ? wrapped.BaseObject : value;
    }
}
