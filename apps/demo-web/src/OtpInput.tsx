import { type ClipboardEvent, type KeyboardEvent, type Ref, useImperativeHandle, useRef } from 'react';

export interface OtpInputHandle {
  /** Focus box `index` (default: the first empty one). */
  focus(index?: number): void;
}

export interface OtpInputProps {
  /** Boxes to show: 6 for the sign-up code, 8 for sign-in codes (the challenge's `codeLength`). */
  length: number;
  /** The digits typed so far (at most `length`). */
  value: string;
  onChange(value: string): void;
  /** Called once every box holds a digit, by typing, pasting or the phone's code autofill. */
  onComplete(code: string): void;
  /** id of the element that names the group (the visible instruction). */
  labelledBy: string;
  /** id of the element that describes a problem with the code, if any. */
  errorId?: string;
  disabled?: boolean;
  ref?: Ref<OtpInputHandle>;
}

const digitsOf = (text: string) => text.replace(/\D/g, '');

/**
 * One box per digit. Typing moves to the next box, Backspace on an empty box to the previous one, the
 * arrow keys move freely, and a pasted or autofilled code (iOS and Android put the whole code into the
 * first box: `autocomplete="one-time-code"`) spreads over the boxes from the one it landed in.
 */
export function OtpInput(props: OtpInputProps) {
  const { length, value, onChange, onComplete, labelledBy, errorId, disabled, ref } = props;
  const boxes = useRef<Array<HTMLInputElement | null>>([]);

  const focusBox = (index: number) => {
    const box = boxes.current[Math.max(0, Math.min(length - 1, index))];
    box?.focus();
    box?.select();
  };
  useImperativeHandle(ref, () => ({
    focus: (index?: number) => focusBox(index ?? Math.min(value.length, length - 1)),
  }));

  /**
   * Writes `digits` from box `start` on and moves focus after them; completes when full. A start past
   * the first empty box (a click further right) becomes that box: the code never has gaps.
   */
  const write = (start: number, digits: string) => {
    const chars = value.padEnd(length, ' ').split('');
    let index = Math.min(start, value.length);
    for (const digit of digits) {
      if (index >= length) break;
      chars[index] = digit;
      index++;
    }
    const joined = chars.join('');
    const gap = joined.indexOf(' ');
    const next = gap === -1 ? joined : joined.slice(0, gap);
    onChange(next);
    if (next.length === length) onComplete(next);
    else focusBox(Math.min(index, next.length));
  };

  const handleChange = (index: number, raw: string) => {
    const digits = digitsOf(raw);
    if (digits === '') {
      onChange(value.slice(0, index));
      return;
    }
    // Typing into a filled box whose text was not selected gives old + new digit: keep the new one.
    // Anything longer is a code (autofill, a keyboard suggestion) and spreads over the boxes.
    const old = value[index];
    if (old !== undefined && digits.length === 2) {
      const at = digits.indexOf(old);
      write(index, at === -1 ? digits.slice(-1) : digits.slice(0, at) + digits.slice(at + 1));
      return;
    }
    write(index, digits);
  };

  const handleKeyDown = (index: number, event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Backspace' && (value[index] ?? '') === '' && index > 0) {
      event.preventDefault();
      onChange(value.slice(0, index - 1));
      focusBox(index - 1);
    } else if (event.key === 'ArrowLeft') {
      event.preventDefault();
      focusBox(index - 1);
    } else if (event.key === 'ArrowRight') {
      event.preventDefault();
      focusBox(Math.min(index + 1, value.length));
    }
  };

  const handlePaste = (index: number, event: ClipboardEvent<HTMLInputElement>) => {
    const digits = digitsOf(event.clipboardData.getData('text'));
    event.preventDefault();
    if (digits === '') return;
    // A whole code pasted anywhere fills every box; a fragment continues where the caret is.
    write(digits.length >= length ? 0 : Math.min(index, value.length), digits);
  };

  return (
    <fieldset className="otp" aria-labelledby={labelledBy}>
      {Array.from({ length }, (_, index) => (
        <input
          // biome-ignore lint/suspicious/noArrayIndexKey: the boxes are positions; they never reorder.
          key={index}
          ref={(element) => {
            boxes.current[index] = element;
          }}
          className="otp-box"
          type="text"
          inputMode="numeric"
          pattern="[0-9]*"
          // Only the first box takes the phone's code suggestion; the others would offer it again.
          autoComplete={index === 0 ? 'one-time-code' : 'off'}
          aria-label={`Digit ${index + 1} of ${length}`}
          aria-invalid={errorId !== undefined}
          aria-describedby={errorId}
          value={value[index] ?? ''}
          // Tab reaches the filled boxes and the first empty one, then leaves the group (no trap).
          tabIndex={index > value.length ? -1 : 0}
          disabled={disabled}
          onChange={(event) => handleChange(index, event.target.value)}
          onKeyDown={(event) => handleKeyDown(index, event)}
          onPaste={(event) => handlePaste(index, event)}
          onFocus={(event) => event.target.select()}
        />
      ))}
    </fieldset>
  );
}
