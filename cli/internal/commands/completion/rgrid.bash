# bash completion for rgrid. Load it with:  source <(rgrid completion bash)
_rgrid_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local -a args=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[0]}" "${args[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[0]}" "${args[@]}" --generate-bash-completion 2>/dev/null)
  fi
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _rgrid_complete rgrid
