using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace NativeToken.Commands
{
    /// <summary>Tab completion of -GrantType: authorization_code, the only grant type.</summary>
    public sealed class GrantTypeCompleter : IArgumentCompleter
    {
        /// <inheritdoc/>
        public IEnumerable<CompletionResult> CompleteArgument(
            string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            Completion.Single("authorization_code", wordToComplete);
    }

    /// <summary>Tab completion of -ApiVersion: v1.0, the only version with a token endpoint.</summary>
    public sealed class ApiVersionCompleter : IArgumentCompleter
    {
        /// <inheritdoc/>
        public IEnumerable<CompletionResult> CompleteArgument(
            string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            Completion.Single("v1.0", wordToComplete);
    }

    internal static class Completion
    {
        /// <summary>The value when it is -like "&lt;word&gt;*" (as the script module's completers did).</summary>
        internal static IEnumerable<CompletionResult> Single(string value, string? word)
        {
            bool matches;
            try
            {
                matches = new WildcardPattern((word ?? "") + "*", WildcardOptions.IgnoreCase).IsMatch(value);
            }
            catch (WildcardPatternException)
            {
                matches = false;
            }
            return matches ? new[] { new CompletionResult(value) } : System.Array.Empty<CompletionResult>();
        }
    }
}
